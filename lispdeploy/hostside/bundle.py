"""Shipping lispdeploy.hostside to hosts inside each program, so that nothing is installed there.

A program starts with this module's source, verbatim, then calls `install_modules` with the
source of every module of `lispdeploy.hostside`; `import lispdeploy.hostside.X` then finds them in
memory. Frames in tracebacks name `<lispdeploy>/lispdeploy/hostside/X.py` and show its lines.

This source is pasted at the top of programs: it must stay self-contained (no imports at
module level, no `from __future__`), standard library only, and valid Python 3.9.
"""


def install_modules(sources):
    """Make the modules in `sources` (dotted name -> source text; "" for a package without
    code) importable in this process, ahead of anything installed."""
    import importlib.abc
    import importlib.util
    import sys

    packages = {name.rsplit(".", 1)[0] for name in sources if "." in name}

    class EmbeddedModules(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
        """Finds and loads the embedded modules."""

        def find_spec(self, fullname, path=None, target=None):
            if fullname not in sources:
                return None
            return importlib.util.spec_from_loader(
                fullname, self, origin=self.filename(fullname),
                is_package=fullname in packages)

        def filename(self, fullname):
            suffix = "/__init__.py" if fullname in packages else ".py"
            return "<lispdeploy>/" + fullname.replace(".", "/") + suffix

        def get_source(self, fullname):
            return sources[fullname]

        def get_code(self, fullname):
            return compile(sources[fullname], self.filename(fullname), "exec")

        def exec_module(self, module):
            module.__file__ = self.filename(module.__name__)
            exec(self.get_code(module.__name__), module.__dict__)

    sys.meta_path.insert(0, EmbeddedModules())
