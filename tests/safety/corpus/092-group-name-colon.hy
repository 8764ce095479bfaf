;; Bad spec: a group name with ':'.
;; expect: 9:31: error: user-group: field 'name' expects a user or group name (lower-case letters, digits, '-' and '_') (it does not have that form), got string 'dev:x'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (groups (cons (user-group (name "dev:x")) %base-groups))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
