;; Bad spec: a provision name with a slash.
;; expect: 10:42: error: shepherd-service: field 'provision' expects a list of names, got list ['a/b']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service (provision '("a/b")) (start '("/bin/true")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
