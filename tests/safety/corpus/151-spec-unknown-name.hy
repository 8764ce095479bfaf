;; Bad spec: a misspelt name.
;; expect: 6:66: error: unknown name '%base-servics'
;; hint: did you mean '%base-services'?
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host") (services %base-servics)))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
