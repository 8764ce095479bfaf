;; The same VPS with Let's Encrypt certificates from certbot.
(use-modules (gnu))
(use-service-modules certbot web ssh)

(define %nginx-deploy-hook
  (program-file "nginx-deploy-hook"
                #~(let ((pid (call-with-input-file "/var/run/nginx/pid" read)))
                    (kill pid SIGHUP))))

(define os
  (operating-system
    (host-name "www")
    (services
     (cons* (service openssh-service-type)
            (service certbot-service-type
                     (certbot-configuration
                      (email "admin@example.org")
                      (certificates
                       (list (certificate-configuration
                              (domains '("example.org" "www.example.org"))
                              (deploy-hook %nginx-deploy-hook))))))
            %base-services))))

(list (machine (operating-system os)
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration
                               (host-name "203.0.113.11") (system "x86_64-linux")))))
