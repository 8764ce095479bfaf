;; Bad spec: home directory inside /etc.
;; expect: 9:18: error: user-account 'ada': home-directory /etc/ada is a system directory, which lispdeploy will not create or give to a user
;; hint: give the user a home of its own such as "/home/ada", or add (create-home-directory? #f) if the account only needs the path
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (home-directory "/etc/ada"))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
