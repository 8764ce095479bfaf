;; Bad spec: SystemMaxUse is not a size.
;; expect: 9:84: error: journald-configuration: field 'system-max-use' expects a size such as "500M" (it does not have that form) or #f, got string 'lots'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service journald-service-type (journald-configuration (system-max-use "lots")))) (modify-services %base-services (delete journald-service-type))))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
