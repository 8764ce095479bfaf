;; Bad spec: an unknown log level.
;; expect: 12:18: error: openssh-configuration: field 'log-level' expects a log level: 'quiet, 'fatal, 'error, 'info, 'verbose, 'debug, 'debug1, 'debug2, 'debug3, got symbol 'chatty
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (log-level 'chatty)))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
