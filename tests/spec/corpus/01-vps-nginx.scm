;; A small VPS: nginx serving a static site, SSH with keys only.
(use-modules (gnu) (guix) (ice-9 match) (srfi srfi-1))
(use-service-modules networking ssh web)
(use-package-modules certs ssh web)

(define %domain "example.org")

(define %keys
  `(("root" ,(local-file "keys/alice.pub"))
    ("alice" ,(local-file "keys/alice.pub"))))

(define %vps
  (operating-system
    (host-name "vps")
    (timezone "Europe/Amsterdam")
    (bootloader (bootloader-configuration
                 (bootloader grub-bootloader)
                 (targets '("/dev/vda"))))
    (file-systems (cons (file-system
                          (mount-point "/")
                          (device "/dev/vda1")
                          (type "ext4"))
                        %base-file-systems))
    (users (cons (user-account
                  (name "alice")
                  (comment "Alice")
                  (group "users")
                  (supplementary-groups '("wheel")))
                 %base-user-accounts))
    (packages (append (list nss-certs openssh-sans-x) %base-packages))
    (services
     (append (list (service dhcp-client-service-type)
                   (service openssh-service-type
                            (openssh-configuration
                             (permit-root-login 'prohibit-password)
                             (password-authentication? #f)
                             (authorized-keys %keys)))
                   (service nginx-service-type
                            (nginx-configuration
                             (server-blocks
                              (list (nginx-server-configuration
                                     (server-name (list %domain (string-append "www." %domain)))
                                     (root "/srv/www")))))))
             %base-services))))

(list (machine
       (operating-system %vps)
       (environment managed-host-environment-type)
       (configuration (machine-ssh-configuration
                       (host-name "203.0.113.10")
                       (system "x86_64-linux")
                       (host-key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv5y1mX5bC1xZx0v0c4kR0P6n4kq5L9mXcY3qfEhHjK root@vps")))))
