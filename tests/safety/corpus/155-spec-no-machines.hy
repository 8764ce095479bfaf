;; Bad spec: an empty list of machines.
;; expect: 7:1: error: the deployment file declares no machines
;; hint: end the file with a list of machines, (list (machine ...) ...), or with an (operating-system ...) to describe and build
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(list)
