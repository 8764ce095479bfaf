;; (acme heartbeat): a service type of our own, written the way Guix's are.
;;
;; The heartbeat daemon writes the time and a message to a file every few seconds. Its
;; service type extends four sinks:
;;   shepherd-root-service-type  the daemon (a shepherd-service, run as a systemd unit)
;;   etc-service-type            /etc/heartbeat.conf, which the daemon reads
;;   account-service-type        the "heartbeat" user and group it runs as
;;   activation-service-type     creating its state directory, owned by that user
;;
;; Load it with `lispdeploy build -L specs/modules specs/heartbeat.hy`.

(define* (heartbeat-configuration #:key (interval 10) (message "alive")
                                  (directory "/var/lib/heartbeat"))
  "The heartbeat daemon's settings."
  {"interval" interval "message" message "directory" directory})

(define (heartbeat-etc config)
  (list (list "heartbeat.conf"
              (plain-file "heartbeat.conf"
                          (format #f "message=~a~%" (get config "message"))))))

(define heartbeat-accounts
  (list (user-group (name "heartbeat") (system? #t))
        (user-account
          (name "heartbeat")
          (group "heartbeat")
          (system? #t)
          (comment "Heartbeat daemon")
          (home-directory "/var/lib/heartbeat")
          (create-home-directory? #f)
          (shell "/usr/sbin/nologin"))))

(define (heartbeat-activation config)
  #~(begin
      (import shutil)
      (mkdir-p #$(get config "directory"))
      (shutil.chown #$(get config "directory") "heartbeat" "heartbeat")))

(define (heartbeat-program config)
  ;; The daemon itself: a g-expression made into a Python program for the host.
  (program-file "heartbeat"
    #~(begin
        (import time)
        (while True
          (setv message (.strip (get-string-all (open "/etc/heartbeat.conf"))))
          (call-with-output-file (+ #$(get config "directory") "/beat")
            (lambda [port] (display (format #f "~a ~a~%" (int (time.time)) message) port)))
          (time.sleep #$(get config "interval"))))))

(define (heartbeat-shepherd-service config)
  (list (shepherd-service
          (provision '(heartbeat))
          (requirement '(file-systems))
          (documentation "Write a heartbeat to a file every few seconds.")
          (start #~(make-forkexec-constructor
                     (list "/usr/bin/python3" "-I" #$(heartbeat-program config))
                     #:user "heartbeat" #:group "heartbeat"))
          (stop #~(make-kill-destructor SIGTERM)))))

(define-public heartbeat-service-type
  (service-type
    (name 'heartbeat)
    (extensions
      (list (service-extension shepherd-root-service-type heartbeat-shepherd-service)
            (service-extension etc-service-type heartbeat-etc)
            (service-extension account-service-type (const heartbeat-accounts))
            (service-extension activation-service-type heartbeat-activation)))
    (default-value (heartbeat-configuration))
    (description "Write a heartbeat to a file every few seconds.")))
