;; Bad spec: log-file holds a newline (a second cron line).
;; expect: 12:18: error: mcron-configuration: field 'log-file' expects an absolute path without spaces or '%' (it holds a newline), got string '/var/log/mcron.log\n* * * * * root t...
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service mcron-service-type
               (mcron-configuration
                 (jobs (list #~(job "@daily" "date")))
                 (log-file "/var/log/mcron.log\n* * * * * root touch /tmp/pwned")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
