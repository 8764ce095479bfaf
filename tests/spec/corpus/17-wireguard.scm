;; A WireGuard peer.
(use-modules (gnu))
(use-service-modules vpn)

(operating-system
  (host-name "vpn")
  (services
   (cons (service wireguard-service-type
                  (wireguard-configuration
                   (addresses '("10.0.0.1/24"))
                   (peers (list (wireguard-peer
                                 (name "laptop")
                                 (public-key "abc=")
                                 (allowed-ips '("10.0.0.2/32")))))))
         %base-services)))
