;; Bad spec: a new user with the uid of another account of the host (useradd would fail half-way).
;; expect: 9:18: error (checks): user-account 'ada' declares uid 65534, which the host's 'nobody' has
;; hint: declare a free uid, or no uid
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (uid 65534) (group "users"))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
