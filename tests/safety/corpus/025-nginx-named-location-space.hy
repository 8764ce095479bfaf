;; Bad spec: a named location holds a space.
;; expect: 13:81: error: nginx-named-location-configuration: field 'name' expects a name of letters, digits, '-', '_' and '.' (it holds a space), got string 'a b'
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
                           (locations (list (nginx-named-location-configuration (name "a b") (body '())))))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
