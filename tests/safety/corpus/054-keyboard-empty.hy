;; Bad spec: an empty keyboard layout name.
;; expect: 9:22: error: keyboard-layout: field 'name' expects an XKB layout name such as "us" or "de" (it is empty), got string ''
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (keyboard-layout (keyboard-layout ""))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
