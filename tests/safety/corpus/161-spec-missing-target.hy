;; Bad spec: a service extends a type that has no default value.
;; expect: 8:72: error: service 'user' extends 'need', which is missing and has no default value
;; hint: add (service need VALUE) to the services
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define need-type (service-type (name 'need) (extensions '()) (compose concatenate) (extend (lambda (v x) v))))
(define user-type (service-type (name 'user) (extensions (list (service-extension need-type (lambda (v) '())))) (default-value 1)))
(define os (operating-system (host-name "corpus-host") (services (list (service user-type)))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
