;; Bad spec: a job's name holds an escape character.
;; expect: 11:30: error: mcron job: its name cannot be written in a crontab (it holds an escape character)
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service mcron-service-type
               (mcron-configuration
                 (jobs (list #~(job "@daily" "date" "name\x1b[2J")))
                 ))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
