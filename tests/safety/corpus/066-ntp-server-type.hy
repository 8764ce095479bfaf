;; Bad spec: an NTP association timesyncd cannot make.
;; expect: 9:89: error: ntp-configuration: systemd-timesyncd cannot use a 'peer' association (a.org)
;; hint: use (type 'server) or (type 'pool)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service ntp-service-type (ntp-configuration (servers (list (ntp-server (type 'peer) (address "a.org"))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
