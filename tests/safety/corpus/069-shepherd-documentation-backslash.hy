;; Bad spec: a daemon's documentation ends with a backslash (systemd joins the next line).
;; expect: 10:24: error: shepherd service 'demo': 'Demo \\' cannot be a unit file value (systemd strips spaces around it and joins a line ending with a backslash to the next)
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service
                         (provision '(demo))
                         (start '("/bin/sleep" "infinity"))
                         (documentation "Demo \\"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
