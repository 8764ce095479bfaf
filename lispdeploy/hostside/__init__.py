"""Code that runs on hosts. Standard library only: nothing here imports anything of
lispdeploy outside this package, so each module can be shipped to a host as source."""
