;; Bad spec: a daemon's documentation holds a NUL byte.
;; expect: 13:26: error: shepherd-service: field 'documentation' expects text (it holds a NUL byte), got string 'Demo\x00'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service
                         (provision '(demo))
                         (start '("/bin/sleep" "infinity"))
                         (documentation "Demo\x00"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
