;; Bad spec: a daemon's program is not an absolute path.
;; expect: 10:24: error: shepherd service 'demo': the program 'sleep' must be an absolute path
;; hint: e.g. "/usr/bin/sleep"
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service
                         (provision '(demo))
                         (start '("sleep" "infinity"))
                         )))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
