;; Bad spec: a package version with a space.
;; expect: 9:21: error: package: field 'version' expects a version string (it holds a space) or #f, got string '2.10 -1'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (packages (cons (specification->package "hello@2.10 -1") %base-packages))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
