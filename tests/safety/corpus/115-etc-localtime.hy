;; Bad spec: /etc/localtime, written from timezone.
;; expect: 9:29: error: /etc/localtime is written from the operating-system's timezone field; 'files' (@SPEC@:9:29) cannot declare it too
;; hint: set (timezone ...) in the operating-system instead
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (list "localtime" (plain-file "f" "x\n"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
