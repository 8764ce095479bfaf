;; Bad spec: modify-services on a type that is not there.
;; expect: 7:13: error: modify-services: no service of type 'nginx' to modify
;; hint: the list given to modify-services has no such service
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")
  (services (modify-services %base-services (nginx-service-type c => c)))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
