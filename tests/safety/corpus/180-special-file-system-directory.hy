;; Bad spec: a special file that would take the place of a directory of the system's hierarchy.
;; expect: 9:29: error: special-file: field 'path' expects a path inside /usr/local, not /usr/local itself (a directory of the system's hierarchy), got string '/usr/local'
;; hint: a special file goes inside a directory of its own, e.g. "/srv/www/site", "/opt/app/app.conf" or "/usr/local/bin/tool"
(use-modules (gnu) (lispdeploy services apt))
(use-service-modules ssh web mcron networking certbot)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (extra-special-file "/usr/local" (plain-file "x" "x\n")))
                      %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
