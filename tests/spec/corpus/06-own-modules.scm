;; A deployment file that uses the author's own modules, which import each other.
(add-to-load-path (string-append (dirname (current-filename)) "/modules"))
(use-modules (gnu) (acme base) ((acme people) #:select (describe-fleet)))

(define %servers '(("web-1" . "Europe/Paris") ("web-2" . "Asia/Tokyo")))

(unless (string=? (describe-fleet) "probe")
  (error "the modules did not load"))

(map (match-lambda
       ((name . zone)
        (machine
         (operating-system (acme-server name #:timezone zone))
         (environment managed-host-environment-type)
         (configuration (machine-ssh-configuration
                         (host-name (string-append name ".example.net"))
                         (system "x86_64-linux"))))))
     %servers)
