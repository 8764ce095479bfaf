;; Bad spec: nginx root holds a $.
;; expect: 13:28: error: nginx-server-configuration: field 'root' expects a value on one line, without '$' (it holds '$', which nginx reads as a variable), got string '/srv/$(id)'
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
                           (root "/srv/$(id)"))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
