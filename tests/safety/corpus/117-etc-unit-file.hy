;; Bad spec: an etc file replacing the unit lispdeploy writes.
;; expect: 10:24: error: /etc/systemd/system/demo.service is the unit file lispdeploy writes for 'd' (@SPEC@:9:29); an etc-service-type file cannot replace it
;; hint: change the shepherd-service or systemd-unit record instead
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'd shepherd-root-service-type
                 (list (shepherd-service (provision '(demo)) (start '("/bin/sleep" "infinity")))))
        (simple-service 'files etc-service-type
                 (list (list "systemd/system/demo.service" (plain-file "u" "[Service]\n"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
