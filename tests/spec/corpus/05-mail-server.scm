;; A mail server as Guix users write it: OpenSMTPD and Dovecot.
(use-modules (gnu))
(use-service-modules mail ssh)

(define os
  (operating-system
    (host-name "mx")
    (services (cons* (service openssh-service-type)
                     (service dovecot-service-type
                              (dovecot-configuration
                               (mail-location "maildir:~/Maildir")))
                     (service opensmtpd-service-type)
                     %base-services))))

(list (machine (operating-system os)
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration
                               (host-name "203.0.113.25") (system "x86_64-linux")))))
