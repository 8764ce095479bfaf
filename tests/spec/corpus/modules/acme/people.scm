(define-module (acme people)
  #:use-module (gnu)
  #:use-module (acme base)
  #:use-module ((srfi srfi-1) #:select (delete-duplicates))
  #:export (%admins admin describe-fleet))

(define %admins '("dana" "eve"))

(define (admin name)
  (user-account (name name) (group "users") (supplementary-groups '("wheel"))))

;; Uses (acme base), which imports this module: fine once both have loaded.
(define (describe-fleet)
  (operating-system-host-name (acme-server "probe")))
