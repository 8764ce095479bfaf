;; Bad spec: a deploy user that is not a user name.
;; expect: 8:93: error: machine-ssh-configuration: field 'user' expects a user or group name (lower-case letters, digits, '-' and '_', at most 32) (it holds a space), got string 'root -oProxyCommand=x'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(list (machine (operating-system os) (environment managed-host-environment-type)
  (configuration (machine-ssh-configuration (host-name "192.0.2.1") (system "x86_64-linux") (user "root -oProxyCommand=x")))))
