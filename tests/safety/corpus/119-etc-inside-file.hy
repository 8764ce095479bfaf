;; Bad spec: one /etc path inside another.
;; expect: 9:29: error: /etc/app/x.conf and /etc/app cannot both exist (one is inside the other): declared by 'a' (@SPEC@:9:29) and 'a' (@SPEC@:9:29)
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'a etc-service-type (list (list "app" (plain-file "a" "a"))
                                              (list "app/x.conf" (plain-file "b" "b"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
