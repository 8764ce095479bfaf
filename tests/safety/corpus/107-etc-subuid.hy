;; Bad spec: /etc/subuid as an etc file.
;; expect: 9:29: error: etc-file: field 'path' expects a path under /etc such as "ssh/sshd_config" (/etc/subuid is an account database, written by useradd and groupadd from the operating-system's users and groups), got string 'subuid'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (list "subuid" (plain-file "f" "x\n"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
