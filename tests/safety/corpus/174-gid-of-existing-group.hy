;; Bad spec: a gid for a group the host has with another gid.
;; expect: 9:19: error (checks): user-group 'backup' declares gid 4242, but the host's 'backup' has gid 34: lispdeploy does not renumber existing groups
;; hint: declare (id 34), or no id
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (groups (cons (user-group (name "backup") (id 4242)) %base-groups))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
