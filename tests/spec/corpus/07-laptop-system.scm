;; An operating-system for `guix system reconfigure`: full boot set-up, encrypted root,
;; swap file. Only some of it means anything on a Debian host.
(use-modules (gnu))
(use-service-modules networking ssh)

(operating-system
  (host-name "tower")
  (timezone "Europe/Berlin")
  (locale "de_DE.utf8")
  (keyboard-layout (keyboard-layout "de" "nodeadkeys"))
  (kernel-arguments (cons "quiet" %default-kernel-arguments))
  (initrd-modules (cons "nvme" %base-initrd-modules))
  (bootloader (bootloader-configuration
               (bootloader grub-efi-bootloader)
               (targets '("/boot/efi"))
               (keyboard-layout keyboard-layout)))
  (mapped-devices (list (mapped-device
                         (source (uuid "12345678-1234-1234-1234-123456789abc"))
                         (target "cryptroot")
                         (type luks-device-mapping))))
  (file-systems (append (list (file-system
                                (device "/dev/mapper/cryptroot")
                                (mount-point "/")
                                (type "ext4")
                                (dependencies mapped-devices))
                              (file-system
                                (device (uuid "1234-ABCD" 'fat))
                                (mount-point "/boot/efi")
                                (type "vfat")))
                        %base-file-systems))
  (swap-devices (list (swap-space (target "/swapfile"))))
  (users (cons (user-account
                (name "frank")
                (group "users")
                (password (crypt "initial" "$6$abc"))
                (supplementary-groups '("wheel" "netdev" "audio" "video")))
               %base-user-accounts))
  (services (append (list (service openssh-service-type)
                          (service dhcp-client-service-type))
                    %base-services)))
