;; Bad spec: the last value is not a list of machines.
;; expect: 7:1: error: the deployment file's last value must be a list of machines, got operating-system
;; hint: end the file with a list of machines: (list (machine ...) ...)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
os
