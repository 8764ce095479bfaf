;; Bad spec: a job's command holds a NUL byte.
;; expect: 11:30: error: mcron job: the command must be one non-empty line (it holds a NUL byte)
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service mcron-service-type
               (mcron-configuration
                 (jobs (list #~(job "@daily" "date\x00")))
                 ))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
