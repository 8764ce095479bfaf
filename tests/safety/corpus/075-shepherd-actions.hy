;; Bad spec: a daemon with custom actions.
;; expect: 10:24: error: shepherd-service 'demo': custom actions have no systemd counterpart
;; hint: drop (actions ...); run such commands with lispdeploy deploy -x
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service
                         (provision '(demo))
                         (start '("/bin/sleep" "infinity"))
                         (actions (list 1)))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
