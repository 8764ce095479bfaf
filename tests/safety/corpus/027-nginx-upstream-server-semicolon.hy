;; Bad spec: an upstream server holds ';'.
;; expect: 11:82: error: nginx-upstream-configuration: field 'servers' expects a list of server strings (item 1: '127.0.0.1:8000;' is not a plain word), got list ['127.0.0.1:8000; down']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (upstream-blocks (list (nginx-upstream-configuration (name "b") (servers '("127.0.0.1:8000; down")))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
