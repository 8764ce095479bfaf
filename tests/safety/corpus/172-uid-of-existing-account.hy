;; Bad spec: a uid for an account the host has with another uid (renumbering it would orphan its files).
;; expect: 10:18: error (checks): user-account 'daemon' declares uid 4242, but the host's 'daemon' has uid 1: lispdeploy does not renumber existing accounts
;; hint: declare (uid 1), or no uid
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (groups (cons (user-group (name "daemon") (system? #t)) %base-groups))
    (users (cons (user-account (name "daemon") (uid 4242) (group "daemon") (system? #t)
                               (home-directory "/usr/sbin") (create-home-directory? #f))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
