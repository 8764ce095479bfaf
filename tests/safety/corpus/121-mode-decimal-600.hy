;; Bad spec: mode 600 written in decimal.
;; expect: 11:34: error: etc-file: field 'mode' expects a file mode in octal: write #o600 (or "0600"); 600 is decimal, which is #o1130, got integer 600
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "app.conf") (file (plain-file "f" "x\n"))
                                 (mode 600))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
