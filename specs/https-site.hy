;; A web server with HTTPS: nginx serves the site directory next to this file, certbot gets
;; its certificate from Let's Encrypt and keeps it renewed (port 80 answers the ACME
;; challenge and sends everything else to HTTPS). Point example.org's DNS at the server,
;; then:
;;   lispdeploy deploy specs/https-site.hy

(use-modules (gnu))
(use-service-modules ssh web certbot)

(define %domains '("example.org" "www.example.org"))
(define %site (local-file "https-site" #:recursive? #t))

(define https-server
  (operating-system
    (host-name "www")
    (timezone "Europe/Paris")
    (services
     (append
      (list (service openssh-service-type
                     (openssh-configuration (permit-root-login 'prohibit-password)))
            (service nginx-service-type
                     (nginx-configuration
                      (server-blocks
                       (list (nginx-server-configuration
                              (listen '("443 ssl" "[::]:443 ssl"))
                              (server-name %domains)
                              (root %site)
                              (ssl-certificate "/etc/certs/example.org/fullchain.pem")
                              (ssl-certificate-key "/etc/certs/example.org/privkey.pem"))))))
            (service certbot-service-type
                     (certbot-configuration
                      (email "webmaster@example.org")
                      (certificates
                       (list (certificate-configuration (domains %domains)))))))
      %base-services))))

(list (machine
       (operating-system https-server)
       (environment managed-host-environment-type)
       (configuration (machine-ssh-configuration
                       (host-name "203.0.113.10")
                       (system "x86_64-linux")
                       (user "root")))))
