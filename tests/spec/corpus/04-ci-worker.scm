;; A CI worker: a build user, a runner daemon as a Shepherd service, nightly clean-ups.
(use-modules (gnu) (guix gexp))
(use-service-modules mcron shepherd ssh networking)
(use-package-modules version-control base python)

(define %runner
  (shepherd-service
   (provision '(ci-runner))
   (requirement '(networking))
   (documentation "Run CI jobs.")
   (start #~(make-forkexec-constructor
             (list #$(file-append python "/bin/python3") "-m" "http.server" "8080")
             #:user "ci"
             #:log-file "/var/log/ci-runner.log"))
   (stop #~(make-kill-destructor))))

(define %clean-job
  #~(job "30 3 * * *" "find /var/ci/work -mindepth 1 -maxdepth 1 -mtime +2 -delete"))

(define worker
  (operating-system
    (host-name "ci-1")
    (users (cons (user-account
                  (name "ci")
                  (group "users")
                  (home-directory "/var/ci")
                  (system? #t))
                 %base-user-accounts))
    (packages (append (map specification->package '("git" "make" "python" "coreutils"))
                      %base-packages))
    (services (cons* (service openssh-service-type)
                     (simple-service 'ci-runner shepherd-root-service-type (list %runner))
                     (service mcron-service-type
                              (mcron-configuration (jobs (list %clean-job))))
                     %base-services))))

(map (lambda (n)
       (machine
        (operating-system (operating-system (inherit worker)
                                            (host-name (format #f "ci-~a" n))))
        (environment managed-host-environment-type)
        (configuration (machine-ssh-configuration
                        (host-name (format #f "192.0.2.~a" (+ 20 n)))
                        (system "x86_64-linux")
                        (build-locally? #f)
                        (user "deploy")))))
     (iota 3 1))
