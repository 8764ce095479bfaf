;; Bad spec: try-files entry holds ';'.
;; expect: 13:28: error: nginx-server-configuration: field 'try-files' expects a list of try_files arguments (item 1: it is not a plain word), got list ['$uri;']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (server-blocks
                   (list (nginx-server-configuration
                           (try-files '("$uri;")))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
