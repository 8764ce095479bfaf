;; Bad spec: a time zone climbing out of zoneinfo.
;; expect: 9:5: error: operating-system: field 'timezone' expects a time zone name such as "Europe/Paris" (it has an empty, '.' or '..' part), got string '../../../etc/shadow'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (timezone "../../../etc/shadow")
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
