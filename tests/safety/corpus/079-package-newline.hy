;; Bad spec: a package name with a newline.
;; expect: 7:3: error: package: field 'name' expects a package name (lower-case letters, digits, '+', '-', '.') (it holds a newline), got string 'hello\n'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (packages (cons "hello\n" %base-packages))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
