;; Bad spec: a daemon requires what nothing provides.
;; expect: 10:24: error: shepherd service 'demo' requires 'database', which no service of this system provides
;; hint: add the service that provides it, or name a unit lispdeploy does not manage by its full name, as a string: "database.service"
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service
                         (provision '(demo))
                         (start '("/bin/sleep" "infinity"))
                         (requirement '(database)))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
