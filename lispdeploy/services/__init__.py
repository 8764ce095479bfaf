"""Services: the service-type model (`core`), the sinks every system has (`base`) and the
catalogue of service types. Must not import the spec layer, remote or environments.
"""
