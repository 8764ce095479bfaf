;; Bad spec: a validation command with NUL.
;; expect: 11:34: error: etc-file: field 'validate' expects a list of strings (item 1: it holds a NUL byte) or #f, got list ['/usr/bin/check\x00', '{}']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "app.conf") (file (plain-file "f" "x\n"))
                                 (validate '("/usr/bin/check\x00" "{}")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
