;; Bad spec: a misspelt field.
;; expect: 6:56: error: operating-system: unknown field 'time-zone'
;; hint: did you mean 'timezone'?
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host") (time-zone "UTC")))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
