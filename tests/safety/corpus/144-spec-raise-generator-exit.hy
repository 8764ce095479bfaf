;; Bad spec: the spec raises GeneratorExit.
;; expect: 7:1: error: GeneratorExit raised
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(raise (GeneratorExit))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
