;; Droplets, as in the Guix manual's guix deploy example.
(use-modules (gnu) (gnu machine) (gnu machine digital-ocean))
(use-service-modules networking ssh)

(define %system
  (operating-system
    (host-name "droplet")
    (timezone "Etc/UTC")
    (bootloader (bootloader-configuration
                 (bootloader grub-bootloader)
                 (targets '("/dev/vda"))
                 (terminal-outputs '(console))))
    (file-systems (cons (file-system
                          (mount-point "/")
                          (device "/dev/vda1")
                          (type "ext4"))
                        %base-file-systems))
    (services (append (list (service dhcp-client-service-type)
                            (service openssh-service-type
                                     (openssh-configuration
                                      (permit-root-login #t)
                                      (password-authentication? #f))))
                      %base-services))))

(list (machine
       (operating-system %system)
       (environment digital-ocean-environment-type)
       (configuration (digital-ocean-configuration
                       (region "nyc3")
                       (size "s-1vcpu-1gb")
                       (enable-ipv6? #t)
                       (tags (list "guix" "web"))
                       (ssh-key "/home/me/.ssh/id_ed25519")))))
