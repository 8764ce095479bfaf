;; Bad spec: run-directory holds $.
;; expect: 11:18: error: nginx-configuration: field 'run-directory' expects an absolute directory path without spaces or '$' (it holds '$', which nginx reads as a variable) or #f, got string '/run/$x'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (run-directory "/run/$x")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
