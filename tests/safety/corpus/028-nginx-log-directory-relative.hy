;; Bad spec: log-directory is relative.
;; expect: 11:18: error: nginx-configuration: field 'log-directory' expects an absolute directory path without spaces or '$' (it is not absolute), got string 'logs'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (log-directory "logs")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
