;; Bad spec: two procedures calling each other forever.
;; expect: 7:18: error: the spec recursed too deeply (more than 1000 nested calls)
;; hint: a procedure here calls itself without end, or nests too deeply; check its base case
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(define (ping n) (pong n))
(define (pong n) (ping n))
(ping 0)

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
