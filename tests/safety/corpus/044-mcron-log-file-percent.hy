;; Bad spec: log-file holds %, which cron turns into a newline.
;; expect: 12:18: error: mcron-configuration: field 'log-file' expects an absolute path without spaces or '%' (it holds '%', which cron reads as a newline), got string '/var/log/%d.log'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service mcron-service-type
               (mcron-configuration
                 (jobs (list #~(job "@daily" "date")))
                 (log-file "/var/log/%d.log")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
