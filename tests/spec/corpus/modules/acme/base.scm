(define-module (acme base)
  #:use-module (gnu)
  #:use-module (gnu services ssh)
  #:use-module (acme people)
  #:export (%acme-os acme-server))

(define %acme-os
  (operating-system
    (host-name "acme")
    (timezone "America/New_York")
    (users (append (map admin %admins) %base-user-accounts))
    (services (cons (service openssh-service-type
                             (openssh-configuration (permit-root-login #f)))
                    %base-services))))

(define* (acme-server name #:key (timezone "America/New_York"))
  (operating-system
    (inherit %acme-os)
    (host-name name)
    (timezone timezone)))
