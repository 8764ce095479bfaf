;; Bad spec: an unknown nginx log level.
;; expect: 11:18: error: nginx-configuration: field 'log-level' expects one of 'debug, 'info, 'notice, 'warn, 'error, 'crit, 'alert, 'emerg, got string 'verbose'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (log-level "verbose")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
