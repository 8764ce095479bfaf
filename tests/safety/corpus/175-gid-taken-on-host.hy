;; Bad spec: a new group with the gid of another group of the host.
;; expect: 9:19: error (checks): user-group 'app' declares gid 50, which the host's 'staff' has
;; hint: declare a free id, or no id
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (groups (cons (user-group (name "app") (id 50)) %base-groups))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
