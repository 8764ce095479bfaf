;; Bad spec: a container address outside 127/8.
;; expect: 9:50: error: container-configuration: field 'address' expects an address in 127.0.0.0/8 other than 127.0.0.1 or #f, got string '10.0.0.1'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(list (machine (operating-system (operating-system (inherit os) (host-name "web-1")))
         (environment container-environment-type)
         (configuration (container-configuration (address "10.0.0.1") (name "@HOST@")))))
