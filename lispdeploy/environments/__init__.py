"""Environment types: how a machine's host is provided and reached (managed hosts over SSH,
container hosts, DigitalOcean droplets, user-defined ones). Each environment module imports its
heavy collaborators (SSH, HTTP) inside the procedures that need them, so that loading a spec
stays fast.
"""
