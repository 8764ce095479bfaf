;; Bad spec: a locale neither available nor generatable on the host.
;; expect: 7:3: error (checks): locale 'xx_YY.utf8' is neither available nor generatable here
;; hint: locales that exist: xh_ZA.UTF-8, tr_CY.UTF-8, ms_MY.UTF-8, es_UY.UTF-8 (all of them: /usr/share/i18n/SUPPORTED)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (locale "xx_YY.utf8")
    (services (append (list ) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
