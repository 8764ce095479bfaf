;; Bad spec: a locale with a command.
;; expect: 9:5: error: operating-system: field 'locale' expects a locale name such as "en_US.utf8" (it does not have that form), got string 'en_US.UTF-8$(id)'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (locale "en_US.UTF-8$(id)")
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
