;; A host running a daemon of our own: the heartbeat service type comes from the module
;; specs/modules/acme/heartbeat.hy. Build it with
;;   lispdeploy build -L specs/modules specs/heartbeat.hy

(use-modules (gnu) (acme heartbeat))
(use-service-modules ssh mcron)

(define os
  (operating-system
    (host-name "heartbeat-host")
    (timezone "Europe/Paris")
    (users (cons (user-account
                   (name "ops")
                   (comment "Operations")
                   (group "users")
                   (supplementary-groups '("wheel" "systemd-journal")))
                 %base-user-accounts))
    (services
      (append
        (list (service heartbeat-service-type
                       (heartbeat-configuration #:interval 5 #:message "still here"))
              (service openssh-service-type
                       (openssh-configuration
                         (permit-root-login 'prohibit-password)
                         (password-authentication? #f)))
              ;; A one-off extension of the cron jobs, with simple-service.
              (simple-service 'heartbeat-cleanup mcron-service-type
                              (list #~(job "0 3 * * *"
                                           "find /var/lib/heartbeat -name '*.old' -delete"))))
        (modify-services %base-services
          (login-service-type config =>
                              (login-configuration
                                (inherit config)
                                (motd (plain-file "motd" "This host beats.\n")))))))))

(list (machine
       (operating-system os)
       (environment managed-host-environment-type)
       (configuration (machine-ssh-configuration
                       (host-name "heartbeat.example.org")
                       (system "x86_64-linux")))))
