;; Bad spec: a secret-file inside a mixed-text-file (its content would enter the store).
;; expect: 6:21: error: secret-file 'db-password' cannot be part of a store item: its content would be kept in every host's store
;; hint: use it only as the content of an /etc file: (etc-file (path ...) (file (secret-file ...)) (mode #o600))
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define db-password (secret-file "db-password" #:command '("echo" "x")))
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'app etc-service-type
                 (list (list "app.conf" (mixed-text-file "app.conf" "password=" db-password))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
