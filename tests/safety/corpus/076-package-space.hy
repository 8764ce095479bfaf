;; Bad spec: a package name with a space.
;; expect: 7:3: error: package: field 'name' expects a package name (lower-case letters, digits, '+', '-', '.') (it holds a space), got string 'openssh server'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (packages (cons "openssh server" %base-packages))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
