"""Reaching hosts: the transport protocol (`transport`), SSH (`ssh`, the only module that
imports paramiko) and evaluating staged programs on a host (`eval`).

Must not import the spec layer, machines, environments, deploy, cli or ui.
"""
