;; Bad spec: document-root is relative.
;; expect: 12:28: error: httpd-config-file: field 'document-root' expects an absolute path on one line (it is not absolute), got string 'htdocs'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type
               (httpd-configuration
                 (config (httpd-config-file
                           (document-root "htdocs")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
