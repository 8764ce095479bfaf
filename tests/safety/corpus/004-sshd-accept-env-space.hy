;; Bad spec: accepted-environment entry holds a space.
;; expect: 12:18: error: openssh-configuration: field 'accepted-environment' expects a list of environment variable names or patterns (item 1: it holds a space), got list ['LANG LC_ALL']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (accepted-environment '("LANG LC_ALL"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
