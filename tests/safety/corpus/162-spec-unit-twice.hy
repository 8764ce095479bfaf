;; Bad spec: one unit declared by two services.
;; expect: 8:71: error: unit demo.service is declared twice: by 'a' (@SPEC@:7:19) and by 'b' (@SPEC@:8:19)
;; hint: keep one of them; each daemon needs its own unit name
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")
  (services (list (simple-service 'a shepherd-root-service-type (list (shepherd-service (provision '(demo)) (start '("/bin/true")))))
                  (simple-service 'b shepherd-root-service-type (list (shepherd-service (provision '(demo)) (start '("/bin/false")))))))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
