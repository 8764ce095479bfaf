;; Bad spec: a division by zero.
;; expect: 7:15: error: ZeroDivisionError: division by zero
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(define ratio (/ 1 0))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
