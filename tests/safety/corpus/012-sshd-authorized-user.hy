;; Bad spec: authorized-keys names a user that is not a user name.
;; expect: 10:16: error: openssh-configuration: authorized-keys names 'Root Admin', which is not a user name
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (authorized-keys '(("Root Admin" "ssh-ed25519 AAAA key")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
