;; Bad spec: an unknown system type.
;; expect: 9:76: error: machine-ssh-configuration: field 'system' expects a known system type (x86_64-linux, i686-linux, aarch64-linux, armhf-linux, ...); did you mean 'x86_64-linux'?, got string 'x86-64-linux'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(list (machine (operating-system (operating-system (inherit os) (host-name "web-1")))
         (environment managed-host-environment-type)
         (configuration (machine-ssh-configuration (host-name "192.0.2.1") (system "x86-64-linux")))))
