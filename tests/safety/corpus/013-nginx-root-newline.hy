;; Bad spec: nginx root holds a newline.
;; expect: 13:28: error: nginx-server-configuration: field 'root' expects a value on one line, without '$' (it holds a newline), got string '/srv/www;\nautoindex on'
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
                           (root "/srv/www;\nautoindex on"))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
