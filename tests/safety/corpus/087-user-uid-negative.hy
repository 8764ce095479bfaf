;; Bad spec: a negative uid.
;; expect: 10:32: error: user-account: field 'uid' expects a user id or #f, got integer -1
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (uid -1))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
