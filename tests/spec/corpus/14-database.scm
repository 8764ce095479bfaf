;; A database server.
(use-modules (gnu))
(use-service-modules databases ssh)
(use-package-modules databases)

(operating-system
  (host-name "db")
  (services (cons* (service openssh-service-type)
                   (service postgresql-service-type
                            (postgresql-configuration
                             (postgresql postgresql-15)))
                   %base-services)))
