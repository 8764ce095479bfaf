;; Bad spec: ServerName with two words.
;; expect: 12:28: error: httpd-config-file: field 'server-name' expects a server name such as "www.example.org" or "https://www.example.org:443" (it holds a space) or #f, got string 'a.org b.org'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type
               (httpd-configuration
                 (config (httpd-config-file
                           (server-name "a.org b.org")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
