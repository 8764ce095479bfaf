;; Bad spec: a service type's procedure calls sys.exit while the system is built.
;; expect: 11:72: error: service 'quitting': its extension of 'etc' failed: SystemExit: 0
;; hint: see the definition of quitting's service type (@SPEC@:8:3)
(import sys)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define quitting-service-type
  (service-type (name 'quitting)
    (extensions (list (service-extension etc-service-type (lambda (v) (sys.exit 0)))))
    (default-value 1)))
(define os (operating-system (host-name "corpus-host") (services (list (service quitting-service-type)))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
