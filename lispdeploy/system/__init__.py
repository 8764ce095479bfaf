"""What an `operating-system` declares (accounts, file systems, bootloader, packages) and how
it becomes a system closure. Must not import the spec layer, remote, or environments.
"""
