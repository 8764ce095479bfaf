;; Bad spec: a host name with '_'.
;; expect: 8:5: error: operating-system: field 'host-name' expects a host name (letters, digits and '-', dot-separated) (it is not one), got string 'corpus_host'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus_host")
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
