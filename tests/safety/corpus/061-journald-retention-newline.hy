;; Bad spec: MaxRetentionSec holds a newline.
;; expect: 9:84: error: journald-configuration: field 'max-retention-sec' expects a time span such as "1month" or "2w 3d" (it holds a newline) or #f, got string '1month\nStorage=none'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service journald-service-type (journald-configuration (max-retention-sec "1month\nStorage=none")))) (modify-services %base-services (delete journald-service-type))))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
