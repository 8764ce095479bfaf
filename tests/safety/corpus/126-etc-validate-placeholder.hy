;; Bad spec: a validation command without {}.
;; expect: 11:34: error: etc-file: field 'validate' expects a command as a list of strings, with "{}" standing for the file or #f, got list ['/usr/bin/check']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "app.conf") (file (plain-file "f" "x\n"))
                                 (validate '("/usr/bin/check")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
