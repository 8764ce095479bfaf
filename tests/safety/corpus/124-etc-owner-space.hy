;; Bad spec: an etc file owner that is not a user name.
;; expect: 11:34: error: etc-file: field 'user' expects a user or group name (lower-case letters, digits, '-' and '_', at most 32) (it holds a space), got string 'www data'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "app.conf") (file (plain-file "f" "x\n"))
                                 (user "www data"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
