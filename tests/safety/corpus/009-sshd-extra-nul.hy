;; Bad spec: extra-content holds a NUL byte.
;; expect: 12:18: error: openssh-configuration: field 'extra-content' expects configuration text (it holds a NUL byte), got string 'X11Forwarding no\x00'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (extra-content "X11Forwarding no\x00")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
