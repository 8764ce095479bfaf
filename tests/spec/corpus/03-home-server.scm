;; A home server for a family: several users, their keys, a shared group, sysctl tweaks,
;; and Guix's base services changed with modify-services.
(use-modules (gnu) (srfi srfi-1) (ice-9 match))
(use-service-modules networking ssh sysctl base)
(use-package-modules admin certs shells version-control)

(define %people
  '(("alice" "Alice Liddell" ("wheel" "media"))
    ("bob" "Bob" ("media"))
    ("carol" "Carol" ())))

(define (person->account entry)
  (match entry
    ((name comment groups)
     (user-account
      (name name)
      (comment comment)
      (group "users")
      (shell (if (string=? name "alice") (file-append zsh "/bin/zsh") "/bin/bash"))
      (supplementary-groups groups)))))

(define %keys
  (filter-map (match-lambda
                ((name . _)
                 (let ((file (string-append "keys/" name ".pub")))
                   (and (member name '("alice" "bob"))
                        `(,name ,(local-file file))))))
              %people))

(operating-system
  (host-name "nas")
  (timezone "Europe/London")
  (locale "en_GB.utf8")
  (groups (cons (user-group (name "media")) %base-groups))
  (users (append (map person->account %people) %base-user-accounts))
  (packages (cons* htop git nss-certs %base-packages))
  (services
   (cons* (service openssh-service-type
                   (openssh-configuration
                    (port-number 2222)
                    (authorized-keys %keys)))
          (service ntp-service-type)
          (modify-services %base-services
            (guix-service-type config =>
                               (guix-configuration
                                (inherit config)
                                (substitute-urls
                                 (append (list "https://substitutes.nonguix.org")
                                         %default-substitute-urls))))
            (sysctl-service-type config =>
                                 (sysctl-configuration
                                  (settings '(("net.ipv4.ip_forward" . "1")
                                              ("vm.swappiness" . "10")))))))))
