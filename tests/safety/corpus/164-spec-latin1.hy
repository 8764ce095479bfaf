;; Bad spec: the file is Latin-1, not UTF-8.
;; expect: 6:21: error: the file is not UTF-8 text: byte 0xe0 cannot start a character here
;; hint: save the file as UTF-8 (iconv -f LATIN1 -t UTF-8, or your editor's encoding setting)
(use-modules (gnu))
(define os (operating-system (host-name "corpus-host")
  (issue "Bienvenue à bord\n")))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
