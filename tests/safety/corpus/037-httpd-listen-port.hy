;; Bad spec: a Listen port out of range.
;; expect: 12:28: error: httpd-config-file: field 'listen' expects a list of strings such as "80" (item 1: 99999 is not a port), got list ['99999']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type
               (httpd-configuration
                 (config (httpd-config-file
                           (listen '("99999"))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
