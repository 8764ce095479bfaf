;; Bad spec: an index file name holds a newline.
;; expect: 13:28: error: nginx-server-configuration: field 'index' expects a list of file names (item 1: it holds a newline), got list ['index.html\n']
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
                           (index '("index.html\n")))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
