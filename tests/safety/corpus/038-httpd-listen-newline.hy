;; Bad spec: a Listen value holds a newline.
;; expect: 12:28: error: httpd-config-file: field 'listen' expects a list of strings such as "80" (item 1: it holds a newline), got list ['80\nLoadModule x y']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type
               (httpd-configuration
                 (config (httpd-config-file
                           (listen '("80\nLoadModule x y"))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
