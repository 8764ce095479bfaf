;; Bad spec: /etc/sudoers as an etc file (use sudoers-file).
;; expect: 9:29: error: etc-file: field 'path' expects a path under /etc such as "ssh/sshd_config" (/etc/sudoers is the operating system's own: use the operating-system's (sudoers-file ...) field), got string 'sudoers'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (list "sudoers" (plain-file "f" "x\n"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
