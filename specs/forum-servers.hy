;; The seed's second example (four forum servers on DigitalOcean droplets), with its "..."
;; filled in: a bootloader and root file system as DigitalOcean's Debian images have them,
;; and an Apache configuration serving the forum.

(define %forum-server-count 4)

(define (forum-server n)
  (operating-system
    (host-name (format #f "forum-server-~a" n))
    (timezone "Etc/UTC")
    (bootloader (bootloader-configuration
                 (bootloader grub-bootloader)
                 (targets '("/dev/vda"))))
    (file-systems (cons (file-system
                         (mount-point "/")
                         (device "/dev/vda1")
                         (type "ext4"))
                        %base-file-systems))
    (services (append (list (service httpd-service-type
                                     (httpd-configuration
                                      (config
                                       (httpd-config-file
                                        (server-name (format #f "forum-~a.example.org" n))
                                        (document-root "/srv/forum")
                                        (listen '("80")))))))
                      %base-services))))

(map (lambda (n)
       (machine
        (system (forum-server n))
        (environment digital-ocean-environment-type)
        (configuration (digital-ocean-configuration
                        (region "nyc3")
                        (size "s-1vcpu-1gb")
                        (enable-ipv6 #t)))))
     (iota %forum-server-count))
