;; Bad spec: a location URI does not start with '/'.
;; expect: 13:75: error: nginx-location-configuration: field 'uri' expects a location such as "/api/", "= /exact" or "~ \\.php$" (it does not start with '/' or a modifier (=, ~, ~*, ^~)), got string 'api'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (server-blocks
                   (list (nginx-server-configuration
                           (locations (list (nginx-location-configuration (uri "api") (body '())))))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
