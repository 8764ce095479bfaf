;; Bad spec: a keyboard option holds a newline.
;; expect: 9:22: error: keyboard-layout: field 'options' expects a list of XKB option strings (item 1: it holds a newline), got list ['ctrl:nocaps\nXKBMODEL=x']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (keyboard-layout (keyboard-layout "us" #:options '("ctrl:nocaps\nXKBMODEL=x")))
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
