;; Bad spec: a service type's procedure raises.
;; expect: 10:72: error: service 'broken': its extension of 'etc' failed: SchemeError: car: expects a list, got 1
;; hint: see the definition of broken's service type (@SPEC@:7:3)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define broken-service-type
  (service-type (name 'broken)
    (extensions (list (service-extension etc-service-type (lambda (v) (car v)))))
    (default-value 1)))
(define os (operating-system (host-name "corpus-host") (services (list (service broken-service-type)))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
