;; Bad spec: a package name that is an apt option.
;; expect: 7:3: error: package: field 'name' expects a package name (lower-case letters, digits, '+', '-', '.') (it does not have that form), got string '-oDebug::pkgProblemResolver=1'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (packages (cons "-oDebug::pkgProblemResolver=1" %base-packages))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
