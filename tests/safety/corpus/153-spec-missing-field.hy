;; Bad spec: a required field missing.
;; expect: 6:12: error: operating-system: missing field 'host-name'
;; hint: add (host-name ...)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (timezone "UTC")))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
