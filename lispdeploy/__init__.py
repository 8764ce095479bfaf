"""lispdeploy: declarative deployment of ordinary Linux servers, written in Guix's language.

Importing the package imports nothing else: each layer is imported where it is used, so the
command line starts quickly and `lispdeploy.hostside` stays free of controller code.
"""

__version__ = "0.1.0"
