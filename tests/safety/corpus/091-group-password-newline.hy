;; Bad spec: a group password with a newline.
;; expect: 9:44: error: user-group: field 'password' expects a crypt(3) password hash such as "$6$salt$..." (it holds a newline) or #f, got string 'x\nroot::0:'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (groups (cons (user-group (name "dev") (password "x\nroot::0:")) %base-groups))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
