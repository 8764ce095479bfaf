;; Bad spec: a secret-file as a systemd unit's file.
;; expect: 9:122: error: secret-file 'unit' cannot be part of a store item: its content would be kept in every host's store
;; hint: use it only as the content of an /etc file: (etc-file (path ...) (file (secret-file ...)) (mode #o600))
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'u shepherd-root-service-type (list (systemd-unit (name "app.service") (file (secret-file "unit" #:command '("echo" "x"))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
