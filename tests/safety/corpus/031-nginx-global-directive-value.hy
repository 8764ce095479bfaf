;; Bad spec: a global directive's value holds ';'.
;; expect: 11:18: error: nginx-configuration: field 'global-directives' expects (KEY VALUE) pairs whose values are plain words ('2;' is not a plain word), got list [['worker_processes, '2; user root'],...
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (global-directives '((worker_processes "2; user root") (events ())))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
