;; Bad spec: a shell with ':'.
;; expect: 10:32: error: user-account: field 'shell' expects an absolute path without spaces or ':' (it holds ':'), got string '/bin/sh:x'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (shell "/bin/sh:x"))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
