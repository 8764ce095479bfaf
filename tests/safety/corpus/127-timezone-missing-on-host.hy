;; Bad spec: a time zone the host does not have.
;; expect: 7:3: error (checks): time zone 'Mars/Olympus_Mons' is not in /usr/share/zoneinfo
;; hint: use a name such as "Europe/Paris" (timedatectl list-timezones)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (timezone "Mars/Olympus_Mons")
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
