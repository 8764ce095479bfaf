;; Bad spec: an upstream name holds a brace.
;; expect: 11:71: error: nginx-upstream-configuration: field 'name' expects a name of letters, digits, '-', '_' and '.' (it does not have that form), got string 'b{'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (upstream-blocks (list (nginx-upstream-configuration (name "b{") (servers '("127.0.0.1:8000")))))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
