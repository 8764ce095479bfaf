;; Bad spec: a container name with capitals.
;; expect: 9:50: error: container-configuration: field 'name' expects a container name: lower-case letters, digits and '-', at most 63 (it does not have that form) or #f, got string 'Corpus_Host'
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os (operating-system (host-name "corpus-host")))
(list (machine (operating-system (operating-system (inherit os) (host-name "web-1")))
         (environment container-environment-type)
         (configuration (container-configuration (name "Corpus_Host")))))
