;; Bad spec: log-file is relative.
;; expect: 12:18: error: mcron-configuration: field 'log-file' expects an absolute path without spaces or '%' (it is not absolute), got string 'mcron.log'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service mcron-service-type
               (mcron-configuration
                 (jobs (list #~(job "@daily" "date")))
                 (log-file "mcron.log")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
