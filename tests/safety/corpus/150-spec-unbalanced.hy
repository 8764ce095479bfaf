;; Bad spec: a missing closing parenthesis.
;; expect: 6:1: error: unbalanced parentheses: this form is never closed
;; hint: the file ends before its closing ')'
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host"))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
