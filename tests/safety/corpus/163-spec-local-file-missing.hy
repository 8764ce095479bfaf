;; Bad spec: a local-file that does not exist.
;; expect: 7:78: error: local-file: '@DIR@/no-such-file.conf' does not exist
;; hint: a relative name is resolved against the spec file's directory
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")
  (services (list (simple-service 'f etc-service-type (list (list "app.conf" (local-file "no-such-file.conf"))))))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
