;; Bad spec: two machines on one container host.
;; expect: 10:7: error: machines 'web-1' (@SPEC@:7:7) and 'web-2' deploy to the same host (container @HOST@)
;; hint: each machine needs its own host: two deploys to one host would replace each other's system
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(list (machine (operating-system (operating-system (inherit os) (host-name "web-1")))
         (environment container-environment-type)
         (configuration (container-configuration (name "@HOST@"))))
      (machine (operating-system (operating-system (inherit os) (host-name "web-2")))
         (environment container-environment-type)
         (configuration (container-configuration (name "@HOST@")))))
