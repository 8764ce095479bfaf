;; A misspelt package variable.
(use-modules (gnu))
(use-package-modules ssh)

(operating-system
  (host-name "typo")
  (packages (cons openssh-sans-xx %base-packages)))
