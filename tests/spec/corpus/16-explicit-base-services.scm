;; Base services listed one by one, as older configurations do.
(use-modules (gnu))
(use-service-modules base networking ssh desktop)

(define %my-base-services
  (list (service login-service-type)
        (service console-font-service-type
                 (map (lambda (tty) (cons tty %default-console-font))
                      '("tty1" "tty2")))
        (service mingetty-service-type (mingetty-configuration (tty "tty1")))
        (service agetty-service-type (agetty-configuration (tty "ttyS0") (baud-rate "115200")))
        (service urandom-seed-service-type)
        (service syslog-service-type)
        (service nscd-service-type)
        (service udev-service-type)
        (service special-files-service-type
                 `(("/bin/sh" ,(file-append bash "/bin/sh"))))
        (service log-cleanup-service-type
                 (log-cleanup-configuration (directory "/var/log/guix/drvs")))
        (service elogind-service-type)
        (service sysctl-service-type)
        (service guix-service-type)))

(operating-system
  (host-name "classic")
  (services (cons (service openssh-service-type) %my-base-services)))
