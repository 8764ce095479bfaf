;; Bad spec: a listen value with an unknown parameter.
;; expect: 13:28: error: nginx-server-configuration: field 'listen' expects a list of strings such as "80" (item 1: 'default' is not a parameter of listen), got list ['80 default']
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
                           (listen '("80 default")))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
