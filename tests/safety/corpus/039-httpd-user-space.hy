;; Bad spec: User is not a user name.
;; expect: 12:28: error: httpd-config-file: field 'user' expects a user or group name (lower-case letters, digits, '-' and '_', at most 32) (it holds a space) or #f, got string 'www data'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type
               (httpd-configuration
                 (config (httpd-config-file
                           (user "www data")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
