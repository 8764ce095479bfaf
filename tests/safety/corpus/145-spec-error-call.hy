;; Bad spec: the spec calls (error ...).
;; expect: 7:1: error: not ready: 42
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(error "not ready:" 42)

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
