;; Bad spec: a module name holds a space.
;; expect: 12:57: error: httpd-module: field 'name' expects a module name such as "proxy_module" (it holds a space), got string 'proxy module'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type
               (httpd-configuration
                 (config (httpd-config-file
                           (modules (list (httpd-module (name "proxy module") (file "modules/mod_proxy.so"))))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
