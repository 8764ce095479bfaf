;; Bad spec: ssl-certificate holds a newline.
;; expect: 13:28: error: nginx-server-configuration: field 'ssl-certificate' expects a value on one line, without '$' (it holds a newline) or #f, got string '/etc/ssl/a.pem\n'
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
                           (ssl-certificate "/etc/ssl/a.pem\n"))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
