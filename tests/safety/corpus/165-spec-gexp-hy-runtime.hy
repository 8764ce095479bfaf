;; Bad spec: a g-expression needing the Hy runtime on the host.
;; expect: 7:64: error: gexp: this code needs the Hy runtime, which hosts do not have
;; hint: quoted code, keyword values (:kw) and hy.* calls need Hy; use strings and plain data, or compute the value outside the gexp and splice it in with #$
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")
  (services (list (simple-service 'act activation-service-type #~(hy.eval '(+ 1 2)))))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
