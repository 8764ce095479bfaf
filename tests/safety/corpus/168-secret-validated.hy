;; Bad spec: a secret-file with a validation command (it would need a copy on the host).
;; expect: 10:24: error: etc-file /etc/app.conf: a secret-file cannot be validated before it is put in place (the check would need a copy of it on the host)
;; hint: drop (validate ...), or keep the secret in a file of its own that the validated configuration includes
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (etc-file (path "app.conf") (file (secret-file "token" #:command '("echo" "x")))
                                 (validate '("/usr/bin/test" "-s" "{}")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
