;; Two web servers on local container hosts: nginx serving a page, and a user to log in as.
;; `make demo` deploys it, changes the greeting, rolls the change back and lists the
;; generations. Try it yourself:
;;   lispdeploy deploy specs/web-demo.hy
;;   curl http://127.0.100.1/
;;   lispdeploy destroy specs/web-demo.hy

(use-modules (gnu))
(use-service-modules ssh web)

(define %greeting "Hello from lispdeploy")

(define (page greeting)
  (mixed-text-file "index.html"
                   "<!doctype html>\n<html><head><title>lispdeploy demo</title></head>\n"
                   "<body><h1>" greeting "</h1>\n"
                   "<p>Served by nginx, deployed from a spec written in Guix's language.</p>"
                   "</body></html>\n"))

(define (site greeting)
  ;; Put the page where nginx serves it, each time a generation is activated.
  (simple-service 'demo-site activation-service-type
                  #~(begin
                      (mkdir-p "/srv/www")
                      (copy-file #$(page greeting) "/srv/www/index.html"))))

(define (web-server n greeting)
  (operating-system
    (host-name (format #f "web-~a" n))
    (timezone "Europe/Paris")
    (users (cons (user-account
                  (name "webmaster")
                  (comment "Keeps the site")
                  (group "users")
                  (supplementary-groups '("www-data")))
                 %base-user-accounts))
    (services (append
               (list (service openssh-service-type
                              (openssh-configuration
                               (permit-root-login 'prohibit-password)))
                     (service nginx-service-type
                              (nginx-configuration
                               (server-blocks
                                (list (nginx-server-configuration
                                       (listen '("80"))
                                       (server-name '("_"))
                                       (root "/srv/www"))))))
                     (site greeting))
               %base-services))))

(map (lambda (n)
       (machine
        (operating-system (web-server n %greeting))
        (environment container-environment-type)
        (configuration (container-configuration
                        (address (format #f "127.0.100.~a" n))))))
     (iota 2 1))
