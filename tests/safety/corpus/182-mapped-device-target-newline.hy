;; Bad spec: a LUKS target ending with a newline (the name check's regex let it through), which would split its /etc/crypttab line.
;; expect: 10:42: error: mapped-device: field 'targets' expects a list of target names (item 1: it holds a newline), got list ['home\n']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (mapped-devices (list (mapped-device (source "/dev/vdb1")
                                         (target "home\n")
                                         (type luks-device-mapping))))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
