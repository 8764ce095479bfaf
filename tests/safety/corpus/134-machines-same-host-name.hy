;; Bad spec: two machines with one host name.
;; expect: 10:7: error: two machines have the host name 'web-1'
;; hint: each machine's operating-system needs its own host-name
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(list (machine (operating-system (operating-system (inherit os) (host-name "web-1")))
         (environment container-environment-type)
         (configuration (container-configuration (name "@HOST@"))))
      (machine (operating-system (operating-system (inherit os) (host-name "web-1")))
         (environment managed-host-environment-type)
         (configuration (machine-ssh-configuration (host-name "192.0.2.9") (port 22) (system "x86_64-linux")))))
