;; Bad spec: a service type's procedure recursing without end.
;; expect: 11:72: error: service 'looping': its extension of 'etc' recursed too deeply
;; hint: see the definition of looping's service type
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define (forever x) (forever x))
(define looping-service-type
  (service-type (name 'looping)
    (extensions (list (service-extension etc-service-type forever)))
    (default-value 1)))
(define os (operating-system (host-name "corpus-host") (services (list (service looping-service-type)))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
