"""Staged code: g-expressions and file-like objects, and their lowering into programs and
store items for hosts. Hy is used only by the spec layer, which compiles a gexp's body when the
spec is read; lowering works on the Python source that results.
"""
