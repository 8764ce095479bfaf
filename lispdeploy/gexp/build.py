"""Building `computed-file`s on the controller, and the item part of program requests.

A computed-file's gexp runs as a program in a `python3 -I` process on the controller, through
the same runner and protocol hosts use (`lispdeploy.hostside.protocol`), with `output` bound to a
path in a fresh temporary directory (also its working directory). What it leaves at that path,
a file or a directory of files, becomes the store item; the items it was given whose store
paths appear in its content become the item's references, as Guix finds references.

Items the gexp refers to are first written to this machine's store, as on a host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from lispdeploy.errors import GexpError
from lispdeploy.gexp.program import LoweredProgram
from lispdeploy.location import Location
from lispdeploy.store import StoreItem, closure
from lispdeploy.hostside import protocol, values


def item_transfer(items: Iterable[StoreItem]) -> Tuple[List[Dict], List[bytes]]:
    """The request headers describing `items` and their bytes, in the order the runner
    reads them (see `lispdeploy.hostside.protocol`)."""
    headers: List[Dict] = []
    payload: List[bytes] = []
    for item in items:
        header = {"path": item.path, "name": item.name, "executable": item.executable,
                  "references": [r.path for r in item.references]}
        if item.private:
            header["private"] = True
        if item.content is not None:
            header.update(kind="file", size=len(item.content))
            payload.append(item.content)
        else:
            header.update(kind="directory", size=item.size,
                          entries=[[p, len(c), x] for p, c, x in item.entries])
            payload.extend(c for _, c, _ in item.entries)
        headers.append(header)
    return headers, payload


class LocalBuilder:
    """Runs computed-file programs on the controller with `python` (this interpreter by
    default). `on_stderr` receives what builds print (bytes), as they print it."""

    def __init__(self, python: str = sys.executable,
                 on_stderr: Optional[Callable[[bytes], None]] = None):
        self.python = python
        self.on_stderr = on_stderr

    def build(self, program: LoweredProgram, *, name: str,
              location: Optional[Location] = None) -> StoreItem:
        """Run `program` with `output` bound and return the store item of what it made."""
        inputs = [i for i in closure(program.items) if i.path != program.runtime.path]
        headers, payload = item_transfer(inputs)
        directory = tempfile.mkdtemp(prefix="lispdeploy-build-")
        try:
            output = os.path.join(directory, name)
            # This machine is the host here: whether it has the runtime is a look away.
            request = program.request({"op": "run", "items": headers, "output": output},
                                      payload, send_runtime=not os.path.isdir(
                                          program.runtime.path))
            document = self._run(request, directory, name, location)
            if document["status"] != "ok":
                error = program.source_map.describe(document["error"])
                where = error.get("location") or {}
                raise GexpError(
                    f"computed-file {name}: its gexp failed: {error['type']}: "
                    f"{error['message']}\n{error['traceback'].rstrip()}",
                    location=(Location(where["file"], where["line"]) if where.get("file")
                              else location))
            values.decode(document["value"])
            return _output_item(output, name, inputs, location)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def _run(self, request: bytes, directory: str, name: str,
             location: Optional[Location]) -> Dict:
        try:
            process = subprocess.Popen([self.python, "-I", "-c", protocol.BOOTSTRAP],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, cwd=directory)
        except OSError as e:
            raise GexpError(f"computed-file {name}: cannot run {self.python}: {e.strerror}",
                            location=location) from None
        stderr = bytearray()

        def read_stderr():
            for chunk in iter(lambda: process.stderr.read1(65536), b""):
                stderr.extend(chunk)
                if self.on_stderr is not None:
                    self.on_stderr(chunk)

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        stdout, _ = process.communicate(request)
        reader.join()
        try:
            return protocol.decode_document(stdout)
        except ValueError:
            tail = stderr.decode("utf-8", "replace").strip()[-2000:]
            raise GexpError(f"computed-file {name}: the build process failed (exit status "
                            f"{process.returncode})" + (f":\n{tail}" if tail else ""),
                            location=location) from None


def _output_item(output: str, name: str, inputs: List[StoreItem],
                 location: Optional[Location]) -> StoreItem:
    if os.path.islink(output) or not os.path.exists(output):
        what = "a symbolic link" if os.path.islink(output) else "nothing"
        raise GexpError(f"computed-file {name}: its gexp made {what} at #$output",
                        location=location,
                        hint="the gexp must create the file or directory named by #$output, "
                             "e.g. (call-with-output-file #$output (fn [port] ...))")
    data: List[bytes] = []
    if os.path.isdir(output):
        entries = []
        for root, dirs, files in os.walk(output):
            dirs.sort()
            for entry in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
                full = os.path.join(root, entry)
                relative = os.path.relpath(full, output)
                if os.path.islink(full) or not os.path.isfile(full):
                    raise GexpError(f"computed-file {name}: {relative} in its output is not a "
                                    "regular file; store items hold files and directories only",
                                    location=location)
                with open(full, "rb") as f:
                    content = f.read()
                data.append(content)
                entries.append((relative, content, os.access(full, os.X_OK)))
        item_kwargs = {"entries": entries}
    else:
        with open(output, "rb") as f:
            content = f.read()
        data.append(content)
        item_kwargs = {"content": content, "executable": os.access(output, os.X_OK)}
    blob = b"\0".join(data)
    references = [i for i in inputs if i.path.encode() in blob]
    return StoreItem(name, references=references, **item_kwargs)
