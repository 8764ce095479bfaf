;; Bad spec: an environment variable that is not NAME=VALUE.
;; expect: 10:24: error: shepherd service 'demo': environment variable 'JUSTANAME' is not NAME=VALUE
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service
                         (provision '(demo))
                         (start #~(make-forkexec-constructor (list "/bin/sleep" "infinity") #:environment-variables (list "JUSTANAME")))
                         )))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
