;; Bad spec: a keyboard variant holds a quote.
;; expect: 9:22: error: keyboard-layout: field 'variant' expects an XKB name such as "us", "altgr-intl" or "ctrl:nocaps" (it does not have that form) or #f, got string 'altgr"intl'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (keyboard-layout (keyboard-layout "us" "altgr\"intl"))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
