;; Bad spec: a comment with a newline would add a passwd line.
;; expect: 10:32: error: user-account: field 'comment' expects one line of text without ':' (it holds a newline), got string 'Ada\nevil::0:0::/:/bin/sh'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (comment "Ada\nevil::0:0::/:/bin/sh"))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
