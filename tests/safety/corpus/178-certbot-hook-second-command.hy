;; Bad spec: a certbot deploy hook whose path would run a second command (certbot runs hooks through sh).
;; expect: 13:42: error: certificate-configuration: field 'deploy-hook' expects a file-like program or an absolute path of letters, digits and '/._-+@%=:,' (certbot runs it through sh) or #f, got string '/usr/local/bin/renewed; reboot'
;; hint: (none)
(use-modules (gnu) (lispdeploy services apt))
(use-service-modules ssh web mcron networking certbot)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service certbot-service-type
                 (certbot-configuration
                   (certificates (list (certificate-configuration
                                         (domains (quote ("example.org")))
                                         (deploy-hook "/usr/local/bin/renewed; reboot")))))))
                      %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
