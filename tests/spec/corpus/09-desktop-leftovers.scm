;; A desktop configuration pointed at a server: %desktop-services is Guix System's.
(use-modules (gnu))
(use-service-modules desktop xorg)

(operating-system
  (host-name "desk")
  (services (cons (service gnome-desktop-service-type) %desktop-services)))
