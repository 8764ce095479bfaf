;; An application behind nginx and PHP, and its database server, on two local container
;; hosts. The web host serves a PHP page, keeps a Redis cache, writes its own log with
;; rsyslog (rotated by logrotate) and upgrades itself unattended; the database host runs
;; PostgreSQL with the application's role and database, and MariaDB. Both export metrics
;; for Prometheus. Try it:
;;   lispdeploy deploy specs/app-servers.hy
;;   lispdeploy container list specs/app-servers.hy              (each host's address)
;;   curl http://WEB-ADDRESS/                                      (the PHP page)
;;   curl http://WEB-ADDRESS:9100/metrics                          (node exporter)
;;   PGPASSWORD=app-secret psql -h DB-ADDRESS -U app app           (the role, over TCP)
;;   lispdeploy destroy specs/app-servers.hy

(use-modules (gnu))
(use-service-modules admin base databases monitoring ssh web)

(define %ssh
  (service openssh-service-type
           (openssh-configuration (permit-root-login 'prohibit-password))))

(define %page
  (plain-file "index.php"
              "<?php echo \"Hello from PHP \" . PHP_MAJOR_VERSION . \", \" . (6 * 7) . \"\\n\";\n"))

(define %database-server
  (operating-system
    (host-name "app-db")
    (services
     (append
      (list %ssh
            (service postgresql-service-type
                     (postgresql-configuration
                      (config-file
                       (postgresql-config-file
                        ;; The application connects over TCP, from any loopback address.
                        (hba-file '("local all all peer"
                                    "host all all 127.0.0.0/8 scram-sha-256"))
                        (extra-config '(("password_encryption" "scram-sha-256")
                                        ("shared_buffers" "64MB")))))))
            ;; The role's password, readable by the postgres account only.
            (simple-service 'app-password etc-service-type
                            (list (etc-file (path "postgresql/app.password")
                                            (file (plain-file "app.password" "app-secret\n"))
                                            (mode #o400)
                                            (user "postgres")
                                            (group "postgres"))))
            (service postgresql-role-service-type
                     (postgresql-role-configuration
                      (roles (list (postgresql-role
                                    (name "app")
                                    (password-file "/etc/postgresql/app.password")
                                    (create-database? #t))))))
            (service mysql-service-type
                     (mysql-configuration
                      (extra-content "max_connections = 50")))
            (service prometheus-node-exporter-service-type))
      %base-services))))

(define %web-server
  (operating-system
    (host-name "app-web")
    ;; The application reaches its database with PostgreSQL's client library and tools.
    (packages (cons (specification->package "postgresql-client") %base-packages))
    (services
     (append
      (list %ssh
            (service nginx-service-type
                     (nginx-configuration
                      (server-blocks
                       (list (nginx-server-configuration
                              (listen '("80"))
                              (server-name '("_"))
                              (root "/srv/app")
                              (index '("index.php"))
                              (locations (list (nginx-php-location))))))))
            (service php-fpm-service-type
                     (php-fpm-configuration
                      (timezone "Europe/Paris")
                      (process-manager
                       (php-fpm-on-demand-process-manager-configuration
                        (max-children 4)))))
            (simple-service 'app-page activation-service-type
                            #~(begin
                                (mkdir-p "/srv/app")
                                (copy-file #$%page "/srv/app/index.php")))
            (service redis-service-type)
            (service syslog-service-type
                     (syslog-configuration
                      (config-file
                       (plain-file "syslog-rules"
                                   (string-append
                                    "*.*;auth,authpriv.none;local3.none -/var/log/syslog\n"
                                    "auth,authpriv.* /var/log/auth.log\n"
                                    "local3.* /var/log/app.log\n")))))
            ;; The application's log is rotated with the logs other services name.
            (simple-service 'app-log log-rotation-service-type '("/var/log/app.log"))
            (service log-rotation-service-type
                     (log-rotation-configuration
                      (compression 'gzip)
                      (size-threshold 0)))
            (service unattended-upgrade-service-type
                     (unattended-upgrade-configuration
                      (schedule "30 04 * * *")
                      (package-blacklist '("nginx"))))
            (service prometheus-node-exporter-service-type))
      %base-services))))

;; Machines
(list (machine (operating-system %database-server)
               (environment container-environment-type)
               (configuration (container-configuration (name "app-db"))))
      (machine (operating-system %web-server)
               (environment container-environment-type)
               (configuration (container-configuration (name "app-web")))))
