;; Bad spec: a secret-file with both #:file and #:command.
;; expect: 9:91: error: secret-file 'token': give either #:file or #:command
;; hint: (secret-file "db-password" #:file "secrets/db") or (secret-file "db-password" #:command '("pass" "show" "db"))
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'app etc-service-type (list (list "app/token" (secret-file "token" #:file "token.txt" #:command '("echo" "x")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
