;; Channels pinned next to the system, and systems derived with inherit.
(use-modules (gnu) (guix channels))
(use-service-modules ssh)

(define %channels
  (cons (channel
         (name 'nonguix)
         (url "https://gitlab.com/nonguix/nonguix")
         (introduction
          (make-channel-introduction
           "897c1a470da759236cc11798f4e0a5f7d4d59fbc"
           (openpgp-fingerprint
            "2A39 3FFF 68F4 EF7A 3D29  12AF 6F51 20A0 22FB B2D5"))))
        %default-channels))

(define %base
  (operating-system
    (host-name "base")
    (users (cons (user-account (name "ops") (group "users") (supplementary-groups '("wheel")))
                 %base-user-accounts))
    (sudoers-file (plain-file "sudoers" "root ALL=(ALL) ALL\n%wheel ALL=(ALL) NOPASSWD: ALL\n"))
    (services (cons (service openssh-service-type) %base-services))))

(define (derive name)
  (operating-system (inherit %base) (host-name name)))

(unless (= (length %channels) 2) (error "channels?" %channels))

(list (machine (operating-system (derive "alpha"))
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration
                               (host-name "alpha.example.net") (system "x86_64-linux")
                               (user "ops") (authorize? #t))))
      (machine (system (derive "beta"))
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration
                               (host-name "beta.example.net") (system "aarch64-linux")))))
