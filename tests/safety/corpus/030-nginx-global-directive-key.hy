;; Bad spec: a global directive's name holds a space.
;; expect: 11:18: error: nginx-configuration: field 'global-directives' expects (KEY VALUE) pairs such as ("worker_processes" 2), got list [['worker processes', 2], ['events, []]]
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (global-directives '(("worker processes" 2) (events ())))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
