;; Bad spec: a time zone given as a path.
;; expect: 9:5: error: operating-system: field 'timezone' expects a time zone name such as "Europe/Paris" (it is an absolute path), got string '/etc/passwd'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (timezone "/etc/passwd")
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
