;; Bad spec: an empty time zone.
;; expect: 9:5: error: operating-system: field 'timezone' expects a time zone name such as "Europe/Paris" (it is empty), got string ''
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (timezone "")
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
