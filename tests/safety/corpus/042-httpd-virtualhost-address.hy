;; Bad spec: a virtual host address is not an address.
;; expect: 11:17: error: httpd-virtualhost: field 'addresses-and-ports' expects addresses such as "*:80" or "192.0.2.1:443" ('*:80>' is not a plain word), got string '*:80>'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service httpd-service-type)
        (simple-service 'site httpd-service-type
          (list (httpd-virtualhost "*:80>" (list "ServerName a.org"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
