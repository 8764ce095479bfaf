;; Bad spec: the spec raises SystemExit.
;; expect: 7:1: error: the spec called sys.exit(3)
;; hint: a deployment file cannot end lispdeploy; report a problem with (error "message" ...)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(raise (SystemExit 3))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
