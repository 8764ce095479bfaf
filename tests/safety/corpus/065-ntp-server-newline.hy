;; Bad spec: an NTP server holds a newline.
;; expect: 9:101: error: ntp-server: field 'address' expects a host name or address such as "pool.ntp.org" (it holds a newline), got string 'pool.ntp.org\nFallbackNTP=x'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service ntp-service-type (ntp-configuration (servers (list (ntp-server (address "pool.ntp.org\nFallbackNTP=x"))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
