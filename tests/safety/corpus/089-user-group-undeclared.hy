;; Bad spec: a user's group is not declared.
;; expect: 9:18: error: user 'ada' refers to group 'docker', which the operating system does not declare
;; hint: add (user-group (name "docker")) to the operating-system's groups, e.g. (groups (cons (user-group (name "docker")) %base-groups))
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (users (cons (user-account (name "ada") (group "users")
                               (supplementary-groups '("docker")))
                 %base-user-accounts))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
