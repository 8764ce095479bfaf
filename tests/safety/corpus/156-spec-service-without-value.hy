;; Bad spec: a service type without default value.
;; expect: 6:72: error: service: expects a service type, got a procedure
;; hint: the first argument of (service ...) is a type such as openssh-service-type
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host") (services (list (service httpd-virtualhost)))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
