;; Bad spec: a comment with ':' would add passwd fields.
;; expect: 10:32: error: user-account: field 'comment' expects one line of text without ':' (it holds ':'), got string 'Ada:0:0:root'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (comment "Ada:0:0:root"))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
