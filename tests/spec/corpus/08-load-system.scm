;; guix deploy file that loads the system file next to it.
(define %tower (load "07-laptop-system.scm"))

(list (machine
       (operating-system %tower)
       (environment managed-host-environment-type)
       (configuration (machine-ssh-configuration
                       (host-name "tower.lan")
                       (system "x86_64-linux")
                       (port 2222)))))
