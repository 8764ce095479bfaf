;; Bad spec: a job's user is not a user name.
;; expect: 11:30: error: mcron job: 'root; rm' is not a user name
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service mcron-service-type
               (mcron-configuration
                 (jobs (list #~(job "@daily" "date" #:user "root; rm")))
                 ))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
