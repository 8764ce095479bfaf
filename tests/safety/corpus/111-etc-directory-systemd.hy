;; Bad spec: /etc/systemd/system (a directory) as a file.
;; expect: 9:29: error: etc-file: field 'path' expects a path under /etc such as "ssh/sshd_config" (/etc/systemd/system is a directory), got string 'systemd/system/'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (list "systemd/system/" (plain-file "f" "x\n"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
