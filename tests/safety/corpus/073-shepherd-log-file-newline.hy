;; Bad spec: a daemon's log file holds a newline.
;; expect: 10:24: error: shepherd service 'demo': '/var/log/d.log\nExecStartPre=/bin/x' must be an absolute path without spaces
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service
                         (provision '(demo))
                         (start #~(make-forkexec-constructor (list "/bin/sleep" "infinity") #:log-file "/var/log/d.log\nExecStartPre=/bin/x"))
                         )))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
