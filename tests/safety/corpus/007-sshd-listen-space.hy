;; Bad spec: a listen address holds a space.
;; expect: 12:18: error: openssh-configuration: field 'listen-addresses' expects a list of addresses (item 1: it holds a space), got list ['0.0.0.0 rdomain x']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (listen-addresses '("0.0.0.0 rdomain x"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
