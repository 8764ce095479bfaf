;; Bad spec: an authorized key string holds two lines.
;; expect: 12:18: error: openssh-configuration: field 'authorized-keys' expects a list of (USER KEY ...) lists (item 1: a key: it holds a newline), got list [['root', 'ssh-ed25519 AAAA one\nssh-...
;; hint: (none)
(use-modules (gnu))
(use-service-modules ssh web mcron networking)
(define os
  (operating-system
    (host-name "corpus-host")
    (services (append (list (service openssh-service-type
               (openssh-configuration
                 (permit-root-login 'prohibit-password)
                 (authorized-keys '(("root" "ssh-ed25519 AAAA one\nssh-ed25519 AAAA two")))))) %base-services))))

(list (machine
       (operating-system os)
       (environment container-environment-type)
       (configuration (container-configuration (name "@HOST@")))))
