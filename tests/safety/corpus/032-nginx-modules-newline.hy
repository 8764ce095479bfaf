;; Bad spec: a module path holds a newline.
;; expect: 11:18: error: nginx-configuration: field 'modules' expects a list of module file paths (item 1: it holds a newline), got list ['/usr/lib/nginx/modules/a.so\n']
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service nginx-service-type
               (nginx-configuration
                 (modules '("/usr/lib/nginx/modules/a.so\n"))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
