;; Bad spec: the spec raises BaseException.
;; expect: 7:1: error: BaseException: boom
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(raise (BaseException "boom"))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
