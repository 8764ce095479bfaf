;; Bad spec: an apt pin with a newline, which would add a line to apt's preferences.
;; expect: 12:41: error: apt-pin: field 'pin' expects a pin such as "origin deb.example.org", "release a=SUITE,o=ORIGIN" or "version 1.2*" (it holds a newline), got string 'origin apt.example.org\nPin-Priority...
;; hint: (none)
(use-modules (gnu) (lispdeploy services apt))
(use-service-modules ssh web mcron networking certbot)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service apt-service-type
                 (apt-configuration
                   (pins (list (apt-pin (packages (quote ("vendor-agent")))
                                        (pin "origin apt.example.org\nPin-Priority: 1001")
                                        (priority 500)))))))
                      %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
