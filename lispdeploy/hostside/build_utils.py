"""Build utilities for gexp bodies, in the style of Guix's (guix build utils): `mkdir-p`,
`invoke`, `file-exists?`, `copy-file`, `symlink`, `delete-file-recursively`,
`call-with-output-file`, `which`, ... `PROCEDURES` maps each Scheme name to its function; the
program runtime binds them (mangled, as Hy compiles them) in every gexp body's namespace.

Commands are argv lists, run without a shell. Their standard output goes where the program's
does (to the controller's stderr stream), so long commands show progress as they run.

Runs on hosts: standard library only.
"""

import contextlib
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys

from lispdeploy.hostside import created, scheme

_STDERR_TAIL = 64 * 1024


class InvokeError(Exception):
    """A command run by `invoke` failed: `argv`, `exit_status` (None if a signal ended it),
    `term_signal` and the tail of its standard error."""

    def __init__(self, argv, exit_status, term_signal, stderr):
        self.argv = list(argv)
        self.exit_status = exit_status
        self.term_signal = term_signal
        self.stderr = stderr
        how = ("exit status {}".format(exit_status) if term_signal is None
               else "signal {}".format(term_signal))
        text = "command {} failed with {}".format(_show_argv(argv), how)
        tail = stderr.strip()
        if tail:
            text += "; its stderr ends with:\n" + "\n".join(tail.splitlines()[-20:])
        super().__init__(text)


class GexpRuntimeError(Exception):
    """`(error "message" irritant ...)` in a gexp body."""


def _show_argv(argv):
    return " ".join(scheme._write(a) if isinstance(a, str) else repr(a) for a in argv)


def _argv(who, program, arguments):
    """`(invoke "ls" "-l")` and `(invoke ["ls" "-l"])` both mean the argv ("ls", "-l")."""
    if isinstance(program, (list, tuple)) and not arguments:
        argv = list(program)
    else:
        argv = [program, *arguments]
    if not argv:
        raise TypeError("{}: expects a program to run".format(who))
    for i, arg in enumerate(argv):
        if isinstance(arg, os.PathLike):
            argv[i] = os.fspath(arg)
        elif not isinstance(arg, (str, bytes)):
            raise TypeError("{}: argument {} is a {} ({!r}); every argument must be a string"
                            .format(who, i, type(arg).__name__, arg))
    return argv


def _flush():
    # Our buffered output must come before the child's, which writes to the same descriptors.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def invoke(program, *arguments):
    """`(invoke "program" "arg" ...)`: run a command (no shell) and raise `InvokeError` with its
    exit status and stderr if it fails; its output is shown as it runs. Returns #t."""
    argv = _argv("invoke", program, arguments)
    _flush()
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as e:
        raise InvokeError(argv, 127, None, "{}: {}".format(argv[0], e.strerror)) from None
    tail = bytearray()
    with process:
        while True:
            chunk = process.stderr.read1(65536)
            if not chunk:
                break
            # Shown as it comes (a tee), and kept for the error message.
            os.write(2, chunk)
            tail.extend(chunk)
            del tail[:-_STDERR_TAIL]
        status = process.wait()
    if status != 0:
        raise InvokeError(argv, status if status > 0 else None,
                          -status if status < 0 else None, tail.decode("utf-8", "replace"))
    return True


def system_star(program, *arguments):
    """`(system* "program" "arg" ...)`: run a command (no shell), its output shown; return its
    exit status (negative: the signal that ended it). A missing program gives 127."""
    argv = _argv("system*", program, arguments)
    _flush()
    try:
        return subprocess.call(argv, stdin=subprocess.DEVNULL)
    except OSError as e:
        print("{}: {}".format(argv[0], e.strerror), file=sys.stderr)
        return 127


def mkdir_p(directory, mode=0o755):
    """`(mkdir-p dir)`: create the directory and its parents unless they exist (during an
    activation, what it creates is the generation's: see hostside.created)."""
    created.makedirs(directory, mode, how="snippet")
    return True


def copy_file(source, destination):
    """`(copy-file source destination)`: copy a file's content and mode."""
    shutil.copyfile(source, destination, follow_symlinks=True)
    shutil.copymode(source, destination)
    return True


def copy_recursively(source, destination):
    """`(copy-recursively source destination)`: copy a tree, keeping symlinks as symlinks."""
    if not os.path.lexists(destination):
        created.makedirs(destination, 0o755, how="snippet")
    shutil.copytree(source, destination, symlinks=True, dirs_exist_ok=True)
    return True


def install_file(file, directory):
    """`(install-file file directory)`: copy `file` into `directory`, creating it."""
    mkdir_p(directory)
    destination = os.path.join(directory, os.path.basename(file))
    copy_file(file, destination)
    return destination


def symlink(target, link):
    """`(symlink target link)`: make `link` point to `target` (it must not exist)."""
    os.symlink(target, link)
    return True


def switch_symlinks(link, target):
    """`(switch-symlinks link target)`: make `link` point to `target`, replacing it
    atomically if it exists."""
    temporary = "{}.new-{}".format(link, os.getpid())
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    os.symlink(target, temporary)
    os.replace(temporary, link)
    return True


def delete_file(path):
    """`(delete-file path)`: remove a file or symlink."""
    os.unlink(path)
    return True


def delete_file_recursively(path):
    """`(delete-file-recursively dir)`: like `rm -rf`, not following symlinks; nothing to do
    if `path` does not exist."""
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)
    return True


def chown(path, owner, group=None):
    """`(chown path owner group)`: owner and group by number or name (#f or -1: unchanged)."""
    def number(value, lookup):
        if value is None or value is False:
            return -1
        return value if isinstance(value, int) else lookup(value)
    os.chown(path, number(owner, lambda n: pwd.getpwnam(n).pw_uid),
             number(group, lambda n: grp.getgrnam(n).gr_gid))
    return True


def with_output_to_file(file, thunk):
    """`(with-output-to-file file thunk)`: call `thunk` with `display`/`print` writing to
    `file` (replaced); return its value."""
    with open(file, "w", encoding="utf-8", newline="") as port:
        with contextlib.redirect_stdout(port):
            return thunk()


def call_with_output_file(file, proc):
    """`(call-with-output-file file proc)`: call `(proc port)` with `file` open for writing
    (replaced); return its value."""
    with open(file, "w", encoding="utf-8", newline="") as port:
        return proc(port)


def call_with_input_file(file, proc):
    """`(call-with-input-file file proc)`: call `(proc port)` with `file` open for reading."""
    # No newline translation: what was written is what is read, "\r" included.
    with open(file, encoding="utf-8", newline="") as port:
        return proc(port)


def get_string_all(port):
    """`(get-string-all port)`: the rest of what `port` holds."""
    return port.read()


def which(program):
    """`(which "program")`: its full path on PATH, or #f."""
    return shutil.which(program) or False


def find_files(directory, pattern=None):
    """`(find-files dir [regexp])`: the files under `dir` (recursively, sorted) whose base
    name matches `regexp`."""
    matcher = re.compile(pattern) if pattern else None
    found = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if matcher is None or matcher.search(name):
                found.append(os.path.join(root, name))
    return found


def display(value, port=None):
    """`(display x [port])`: write `x` for people (strings without quotes)."""
    (port or sys.stdout).write(value if isinstance(value, str) else scheme._display(value))


def write(value, port=None):
    """`(write x [port])`: write `x` as data (strings in quotes)."""
    (port or sys.stdout).write(scheme._write(value))


def newline(port=None):
    """`(newline [port])`."""
    (port or sys.stdout).write("\n")


def format_(destination, template, *args):
    """`(format dest template arg ...)`: #f gives the string, #t prints it, a port gets it."""
    if destination is False or destination is None or destination is True:
        return scheme.format_(destination, template, *args)
    destination.write(scheme.format_(False, template, *args))
    return None


def error(message, *irritants):
    """`(error "message" irritant ...)`: raise with the irritants written after the message."""
    raise GexpRuntimeError(str(message) + "".join(" " + scheme._write(i) for i in irritants))


def setenv(name, value):
    """`(setenv name value)`: set (or with #f, unset) an environment variable."""
    if value is False or value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


PROCEDURES = {
    "invoke": invoke,
    "system*": system_star,
    "mkdir-p": mkdir_p,
    "file-exists?": os.path.lexists,
    "directory-exists?": os.path.isdir,
    "regular-file?": os.path.isfile,
    "symbolic-link?": os.path.islink,
    "executable-file?": lambda path: os.path.isfile(path) and os.access(path, os.X_OK),
    "copy-file": copy_file,
    "copy-recursively": copy_recursively,
    "install-file": install_file,
    "symlink": symlink,
    "switch-symlinks": switch_symlinks,
    "readlink": os.readlink,
    "rename-file": os.replace,
    "delete-file": delete_file,
    "delete-file-recursively": delete_file_recursively,
    "chmod": lambda path, mode: os.chmod(path, mode) or True,
    "chown": chown,
    "with-output-to-file": with_output_to_file,
    "call-with-output-file": call_with_output_file,
    "call-with-input-file": call_with_input_file,
    "get-string-all": get_string_all,
    "which": which,
    "find-files": find_files,
    "basename": os.path.basename,
    "dirname": os.path.dirname,
    "getcwd": os.getcwd,
    "chdir": os.chdir,
    "setenv": setenv,
    "unsetenv": lambda name: setenv(name, False),
    "display": display,
    "write": write,
    "newline": newline,
    "format": format_,
    "error": error,
}
