;; Bad spec: two users with one uid.
;; expect: 10:19: error: user-account 'bob' has user id 1500, already given to 'ada'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons* (user-account (name "ada") (group "users") (uid 1500))
                  (user-account (name "bob") (group "users") (uid 1500))
                  %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
