;; Bad spec: error-log holds a newline.
;; expect: 12:28: error: httpd-config-file: field 'error-log' expects a value on one line, without '${' (it holds a newline) or #f, got string '/var/log/a.log\n'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type
               (httpd-configuration
                 (config (httpd-config-file
                           (error-log "/var/log/a.log\n")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
