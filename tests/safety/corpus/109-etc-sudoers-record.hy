;; Bad spec: /etc/sudoers as an etc-file record.
;; expect: 10:34: error: etc-file: field 'path' expects a path under /etc such as "ssh/sshd_config" (/etc/sudoers is the operating system's own: use the operating-system's (sudoers-file ...) field), got string '/etc/sudoers'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "/etc/sudoers") (file (plain-file "f" "x\n"))
                                 (mode #o440))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
