;; Bad spec: a user name longer than 32.
;; expect: 9:32: error: user-account: field 'name' expects a user or group name (lower-case letters, digits, '-' and '_') (it is longer than 32), got string 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") (group "users")
                               )
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
