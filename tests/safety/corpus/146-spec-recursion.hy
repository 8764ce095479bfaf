;; Bad spec: a procedure recursing without end.
;; expect: 7:23: error: the spec recursed too deeply (more than 1000 nested calls)
;; hint: a procedure here calls itself without end, or nests too deeply; check its base case
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(define (loop n) (+ 1 (loop n)))
(loop 0)

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
