;; Bad spec: a sysctl key holds a space.
;; expect: 9:29: error: service 'tune' gives sysctl-service-type a value it refuses: (KEY VALUE) pairs such as ("net.ipv4.ip_forward" "1")
;; hint: see what sysctl-service-type takes in its documentation
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (simple-service 'tune sysctl-service-type '(("vm swappiness" "10")))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
