;; Bad spec: a subsystem name holds a space.
;; expect: 12:18: error: openssh-configuration: field 'subsystems' expects a list of (NAME COMMAND) pairs (item 1: its name: it holds a space), got list [['my sftp', 'internal-sftp']]
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (subsystems '(("my sftp" "internal-sftp")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
