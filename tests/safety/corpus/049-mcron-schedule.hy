;; Bad spec: a schedule that is not crontab's.
;; expect: 11:30: error: mcron job: "every day" is not a crontab schedule
;; hint: write the time as crontab does: "MINUTE HOUR DAY MONTH WEEKDAY" such as "5 0 * * *", or @daily, @hourly, ...
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service mcron-service-type
               (mcron-configuration
                 (jobs (list #~(job "every day" "date")))
                 ))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
