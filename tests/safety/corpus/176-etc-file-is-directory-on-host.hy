;; Bad spec: an /etc file where the host has a directory (base-files' /etc/update-motd.d).
;; expect: 9:29: error (checks): /etc/update-motd.d is a directory on the host; an /etc file cannot replace it
;; hint: declare a file inside it instead
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (list "update-motd.d" (plain-file "f" "x\n"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
