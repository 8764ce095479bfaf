;; Bad spec: mode beyond #o7777.
;; expect: 11:34: error: etc-file: field 'mode' expects a file mode from #o0 to #o7777, such as #o644, got integer 8191
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "app.conf") (file (plain-file "f" "x\n"))
                                 (mode #o17777))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
