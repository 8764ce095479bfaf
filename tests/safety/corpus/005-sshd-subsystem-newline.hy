;; Bad spec: a subsystem command holds a newline.
;; expect: 12:18: error: openssh-configuration: field 'subsystems' expects a list of (NAME COMMAND) pairs (item 1: its command: it holds a newline), got list [['sftp', 'internal-sftp\nMaxAuthTrie...
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (subsystems '(("sftp" "internal-sftp\nMaxAuthTries 42")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
