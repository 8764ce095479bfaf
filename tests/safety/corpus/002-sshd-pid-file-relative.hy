;; Bad spec: pid-file is not absolute.
;; expect: 12:18: error: openssh-configuration: field 'pid-file' expects an absolute path on one line, without spaces (it is not absolute), got string 'sshd.pid'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (pid-file "sshd.pid")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
