;; Bad spec: an sshd drop-in its validator (sshd -t on the host) refuses, before anything changes.
;; expect: 10:24: error (checks): /etc/ssh/sshd_config.d/extra.conf is invalid: /etc/ssh/sshd_config.d/extra.conf: line 1: Bad configuration option: NotAnOption
;; hint: fix the service's configuration in the spec
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "ssh/sshd_config.d/extra.conf")
                                 (file (plain-file "extra.conf" "NotAnOption yes\n"))
                                 (validate '("/usr/sbin/sshd" "-t" "-f" "{}"))))))
                      %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
