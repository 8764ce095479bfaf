;; Bad spec: document-root holds ${...}.
;; expect: 12:28: error: httpd-config-file: field 'document-root' expects an absolute path on one line (it holds '${', which Apache expands), got string '/srv/${HOME}'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type
               (httpd-configuration
                 (config (httpd-config-file
                           (document-root "/srv/${HOME}")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
