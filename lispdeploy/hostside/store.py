"""The store on a host: which items it lacks, and receiving items atomically and verified.

An item is `/var/lib/lispdeploy/store/<hash>-<name>`, a file or a directory of files. Its hash
(`item_digest`) covers its name, kind, contents, whether it is private and the paths of the
items it refers to; the controller computes it to name the item and the host recomputes it
from the bytes it received before the item gets its name, so a damaged transfer never becomes
a store item. Each item is written under a temporary name, fsynced, made read-only and
renamed into place: readable by everyone (0444, 0555 when executable), or, for a *private*
item (a manifest, a spec, the content of an /etc file that is not world-readable), by root
only (0400, 0500). The store directory itself can be traversed but not listed (0711).

Runs on hosts: standard library only.
"""

import hashlib
import os

from lispdeploy.hostside import pause
from lispdeploy.hostside.contract import KIND_STORE, HostSideError

STORE_DIR = "/var/lib/lispdeploy/store"
HASH_LENGTH = 32
_TEMPORARY_PREFIX = ".tmp-"


class StoreError(HostSideError):
    """An item could not be received: damaged, malformed, or the disk refused it."""

    kind = KIND_STORE


def item_digest(name, content=None, executable=False, entries=None, reference_paths=(),
                private=False):
    """The hash naming an item: a file (`content`, `executable`) or a directory (`entries`,
    (relative path, content, executable) triples), referring to `reference_paths`; a private
    item (readable by root only) never shares its path with a public one."""
    h = hashlib.sha256()

    def put(data):
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)

    put(b"lispdeploy-store-item-1")
    put(name.encode())
    if private:
        put(b"private")
    if content is not None:
        put(b"file-x" if executable else b"file")
        put(content)
    else:
        put(b"directory")
        for path, data, flag in sorted(entries):
            put(path.encode())
            put(b"x" if flag else b"-")
            put(data)
    for path in sorted(reference_paths):
        put(path.encode())
    return h.hexdigest()[:HASH_LENGTH]


def missing(paths, store_dir=STORE_DIR):
    """The store paths among `paths` that this host does not have."""
    prefix = store_dir.rstrip("/") + "/"
    out = []
    for path in paths:
        if not path.startswith(prefix) or "/" in path[len(prefix):]:
            raise StoreError("not a store item path: {!r}".format(path))
        if not os.path.lexists(path):
            out.append(path)
    return out


def read_exactly(stream, size):
    """`size` bytes from `stream`, or StoreError if it ends first."""
    chunks = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            raise StoreError("the item data ended {} bytes early".format(remaining))
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(headers, stream, store_dir=STORE_DIR):
    """Read the items `headers` describe from `stream` (their bytes, in order) and add the
    ones this host lacks to the store. Returns the paths written."""
    written = []
    for header in headers:
        pause.point("receive " + header["name"])
        item = _read_item(header, stream, store_dir)
        if not os.path.lexists(item["path"]):
            _install(item, store_dir)
            written.append(item["path"])
    if written:
        _fsync_directory(store_dir)
    return written


def _read_item(header, stream, store_dir):
    name = header["name"]
    if not name or "/" in name or name.startswith("."):
        raise StoreError("bad store item name {!r}".format(name))
    references = list(header.get("references", ()))
    executable = bool(header.get("executable", False))
    private = bool(header.get("private", False))
    if header["kind"] == "file":
        content = read_exactly(stream, int(header["size"]))
        entries = None
    elif header["kind"] == "directory":
        content = None
        entries = []
        for path, size, flag in header["entries"]:
            parts = path.split("/")
            if path.startswith("/") or "" in parts or ".." in parts or "." in parts:
                raise StoreError("bad entry {!r} in store item {}".format(path, name))
            entries.append((path, read_exactly(stream, int(size)), bool(flag)))
    else:
        raise StoreError("unknown kind of store item {!r}".format(header["kind"]))
    digest = item_digest(name, content, executable, entries, references, private)
    path = "{}/{}-{}".format(store_dir.rstrip("/"), digest, name)
    if path != header["path"]:
        raise StoreError("store item {} arrived damaged: its content hashes to {}".format(
            header["path"], path))
    return {"path": path, "content": content, "executable": executable, "entries": entries,
            "private": private}


def secure_store(store_dir=STORE_DIR):
    """Make the store traversable but not listable by others (items are opened by path)."""
    os.makedirs(store_dir, mode=0o711, exist_ok=True)
    if os.stat(store_dir).st_mode & 0o777 != 0o711:
        os.chmod(store_dir, 0o711)


def _install(item, store_dir):
    secure_store(store_dir)
    private = item.get("private", False)
    final = item["path"]
    temporary = "{}/{}{}-{}".format(store_dir, _TEMPORARY_PREFIX, os.getpid(),
                                    os.path.basename(final))
    _remove(temporary)
    try:
        if item["content"] is not None:
            _write_file(temporary, item["content"], item["executable"], private)
        else:
            os.mkdir(temporary, 0o700)
            for path, data, flag in item["entries"]:
                full = os.path.join(temporary, path)
                os.makedirs(os.path.dirname(full), mode=0o700, exist_ok=True)
                _write_file(full, data, flag, private)
            # Deepest first, so that a directory is made read-only after its children.
            directories = [root for root, _dirs, _files in os.walk(temporary)]
            for directory in sorted(directories, key=len, reverse=True):
                _fsync_directory(directory)
                os.chmod(directory, 0o500 if private else 0o555)
        try:
            os.rename(temporary, final)
        except OSError:
            # Another process installed the same item meanwhile: same hash, same content.
            if not os.path.lexists(final):
                raise
            _remove(temporary)
    except OSError as e:
        _remove(temporary)
        raise StoreError("cannot write store item {}: {}".format(final, e)) from None


def _write_file(path, data, executable, private=False):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            done = os.write(fd, view)
            view = view[done:]
        os.fsync(fd)
        mode = 0o555 if executable else 0o444
        os.fchmod(fd, mode & 0o500 if private else mode)
    finally:
        os.close(fd)


def _fsync_directory(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path):
    """Remove a temporary file or tree even though it was made read-only."""
    if os.path.isdir(path) and not os.path.islink(path):
        for root, dirs, _files in os.walk(path):
            os.chmod(root, 0o700)
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o700)
        for root, dirs, files in os.walk(path, topdown=False):
            for f in files:
                os.unlink(os.path.join(root, f))
            for d in dirs:
                os.rmdir(os.path.join(root, d))
        os.rmdir(path)
    elif os.path.lexists(path):
        os.unlink(path)


def add_runtime(path, sources, store_dir=STORE_DIR):
    """Add the host runtime item at `path` from the files of its runtime frame (relative path
    -> bytes; see `bundle`), after checking that they hash to that path."""
    name = os.path.basename(path).partition("-")[2]
    entries = sorted((relative, data, False) for relative, data in sources.items())
    expected = "{}/{}-{}".format(store_dir.rstrip("/"), item_digest(name, None, False, entries),
                                 name)
    if expected != path:
        raise StoreError("the host runtime {} arrived damaged: its files hash to {}".format(
            path, expected))
    if not os.path.lexists(path):
        _install({"path": path, "content": None, "executable": False, "entries": entries},
                 store_dir)
        _fsync_directory(store_dir)
    return path
