;; Apache with a virtual host, Guix's httpd-service-type.
(use-modules (gnu))
(use-service-modules web ssh)

(define os
  (operating-system
    (host-name "apache")
    (services
     (cons* (service openssh-service-type)
            (service httpd-service-type
                     (httpd-configuration
                      (config (httpd-config-file
                               (server-name "www.example.com")
                               (document-root "/srv/http/www.example.com")))))
            (simple-service 'www-example httpd-service-type
                            (list (httpd-virtualhost
                                   "*:8080"
                                   (list "ServerName www.example.com\n"
                                         "DocumentRoot /srv/http/www.example.com\n"))))
            %base-services))))

(list (machine (operating-system os)
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration
                               (host-name "198.51.100.5") (system "x86_64-linux")))))
