;; Bad spec: a server name holds ';'.
;; expect: 13:28: error: nginx-server-configuration: field 'server-name' expects a list of names ('default or strings) (item 1: it holds a space), got list ['a.org; include /etc/shadow']
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
                           (server-name '("a.org; include /etc/shadow")))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
