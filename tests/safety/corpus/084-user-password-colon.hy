;; Bad spec: a password hash with ':'.
;; expect: 10:32: error: user-account: field 'password' expects a crypt(3) hash (it holds ':') or #f, got string '$6$x$y:0:0'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (password "$6$x$y:0:0"))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
