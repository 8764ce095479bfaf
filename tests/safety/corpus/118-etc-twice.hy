;; Bad spec: one /etc file declared twice.
;; expect: 10:9: error: /etc/app.conf is declared twice: by 'a' (@SPEC@:9:29) and by 'b' (@SPEC@:10:9)
;; hint: keep one of them; to change a service's file, change its configuration (modify-services) instead
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'a etc-service-type (list (list "app.conf" (plain-file "a" "a"))))
        (simple-service 'b etc-service-type (list (list "app.conf" (plain-file "b" "b"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
