;; Bad spec: a user name with capitals.
;; expect: 9:32: error: user-account: field 'name' expects a user or group name (lower-case letters, digits, '-' and '_') (it does not have that form), got string 'Ada'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "Ada") (group "users")
                               )
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
