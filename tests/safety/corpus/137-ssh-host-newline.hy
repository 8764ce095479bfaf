;; Bad spec: a host name with a newline.
;; expect: 9:52: error: machine-ssh-configuration: field 'host-name' expects a single word (no spaces) (it holds a newline), got string '192.0.2.1\nProxyCommand x'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(list (machine (operating-system (operating-system (inherit os) (host-name "web-1")))
         (environment managed-host-environment-type)
         (configuration (machine-ssh-configuration (host-name "192.0.2.1\nProxyCommand x") (port 22) (system "x86_64-linux")))))
