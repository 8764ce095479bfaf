;; Bad spec: a keyboard layout would run a command when sourced.
;; expect: 9:22: error: keyboard-layout: field 'name' expects an XKB layout name such as "us" or "de" (it does not have that form), got string 'us$(touch /tmp/pwned)'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (keyboard-layout (keyboard-layout "us$(touch /tmp/pwned)"))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
