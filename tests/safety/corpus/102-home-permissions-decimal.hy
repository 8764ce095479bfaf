;; Bad spec: home permissions written in decimal.
;; expect: 10:32: error: user-account: field 'home-directory-permissions' expects a file mode in octal: write #o750 (or "0750"); 750 is decimal, which is #o1356, got integer 750
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (home-directory-permissions 750))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
