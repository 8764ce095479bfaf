;; Bad spec: the last value is not a list of machines.
;; expect: 7:1: error: this file gives an operating-system, not machines to deploy it to
;; hint: end the file with (list (machine (operating-system os) (environment managed-host-environment-type) (configuration (machine-ssh-configuration (host-name "203.0.113.7") (system "x86_64-linux"))))), or deploy it with -e '(list (machine (operating-system (load "FILE")) ...))'
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
os
