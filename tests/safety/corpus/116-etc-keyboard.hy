;; Bad spec: /etc/default/keyboard, written from keyboard-layout.
;; expect: 9:29: error: /etc/default/keyboard is written from the operating-system's keyboard-layout field; 'files' (@SPEC@:9:29) cannot declare it too
;; hint: set (keyboard-layout ...) in the operating-system instead
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'files etc-service-type
                 (list (list "default/keyboard" (plain-file "f" "x\n"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
