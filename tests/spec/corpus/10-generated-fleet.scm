;; Machines generated with syntax rules, SRFI-1 and association lists.
(use-modules (gnu) (srfi srfi-1) (srfi srfi-26) (ice-9 match))
(use-service-modules ssh web)

(define-syntax-rule (with-ssh os-form)
  (operating-system
    (inherit os-form)
    (services (cons (service openssh-service-type) (operating-system-services os-form)))))

(define %inventory
  '((web (count . 3) (zone . "Europe/Paris"))
    (db (count . 1) (zone . "UTC"))))

(define (role-count role) (assq-ref (assq-ref %inventory role) 'count))

(define (server role n)
  (with-ssh
   (operating-system
     (host-name (format #f "~a-~2,'0d" role n))
     (timezone (assq-ref (assq-ref %inventory role) 'zone)))))

(define %names
  (append-map (lambda (role)
                (map (cut list role <>) (iota (role-count role) 1)))
              (map car %inventory)))

(define %machines
  (map (match-lambda
         ((role n)
          (machine
           (operating-system (server role n))
           (environment managed-host-environment-type)
           (configuration (machine-ssh-configuration
                           (host-name (format #f "10.0.~a.~a" (if (eq? role 'web) 1 2) n))
                           (system "x86_64-linux"))))))
       %names))

(unless (= (length %machines) (fold + 0 (map role-count '(web db))))
  (error "miscounted machines:" (length %machines)))

%machines
