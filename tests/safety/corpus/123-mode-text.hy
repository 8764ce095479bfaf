;; Bad spec: a mode in ls notation.
;; expect: 11:34: error: etc-file: field 'mode' expects a file mode such as #o644 or "0644", got string 'rw-r--r--'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "app.conf") (file (plain-file "f" "x\n"))
                                 (mode "rw-r--r--"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
