;; Bad spec: an interface name with a space.
;; expect: 9:90: error: dhcp-client-configuration: field 'interfaces' expects 'all or a list of interface names such as ("eth0"), got list ['eth0 eth1']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service dhcp-client-service-type (dhcp-client-configuration (interfaces '("eth0 eth1"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
