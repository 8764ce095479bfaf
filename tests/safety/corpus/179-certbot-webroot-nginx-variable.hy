;; Bad spec: a certbot webroot holding $, which nginx's root would read as a variable.
;; expect: 10:41: error: certbot-configuration: field 'webroot' expects an absolute path without spaces or '$' (it holds '$', which nginx reads as a variable), got string '/var/www/$host'
;; hint: (none)
(use-modules (gnu) (lispdeploy services apt))
(use-service-modules ssh web mcron networking certbot)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service certbot-service-type
                 (certbot-configuration (webroot "/var/www/$host"))))
                      %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
