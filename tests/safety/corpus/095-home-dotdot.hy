;; Bad spec: home directory /home/../etc.
;; expect: 10:32: error: user-account: field 'home-directory' expects a normalized absolute path without spaces or ':' (write "/etc"), got string '/home/../etc'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (home-directory "/home/../etc"))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
