;; Bad spec: the spec calls sys.exit.
;; expect: 8:1: error: the spec called sys.exit(0)
;; hint: a deployment file cannot end lispdeploy; report a problem with (error "message" ...)
(import sys)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(sys.exit 0)

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
