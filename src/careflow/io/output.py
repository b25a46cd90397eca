"""The one place careflow writes files: safely, completely or not at all.

Every output (diagrams, reports, score and gaps output with ``-o``, journey files from
:func:`careflow.io.dump_journey`) goes through :func:`write_output`, which follows these
rules (docs/cli.md, "Writing output"):

* ``-`` is standard output; ``/dev/stdout``, ``/dev/stderr`` and ``/dev/fd/N`` are
  written to that open descriptor, wherever the shell pointed it.
* A path that does not exist, or a regular file, is written through a temporary file with a
  random name created exclusively in the same folder (``O_CREAT|O_EXCL|O_NOFOLLOW``, so a
  planted file or link is never written through), flushed to disk (``fsync``) and then
  renamed over the target in one step: readers see the old file or the new one, never half
  of one. A replaced file keeps its permission bits; a new one gets the usual ``0666``
  less the umask.
* A character device or a FIFO (``/dev/null``, ``/dev/tty``, a named pipe) is opened and
  written directly, never replaced; a failed write (``/dev/full``) is an error.
* Refused, with nothing written: a folder; a symbolic link to anything but a device or FIFO
  (a link planted in a shared folder must not redirect the output); a block device (a
  disk: no report belongs there); a file without write
  permission (``chmod a-w``), even for root; a socket; any input of the same run
  (``report in.yaml -o in.yaml``); a path whose folder does not exist.

Every failure is an :class:`~careflow.errors.OutputError` (exit status 1 in the CLI) that
names the path and says what the operating system said (``No space left on device``,
``File name too long``, ``Read-only file system``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Iterable
from typing import BinaryIO, Final

from careflow.errors import OutputError

__all__ = ["STDOUT", "check_output", "write_output"]

#: The output name that means standard output.
STDOUT: Final = "-"
_DIRECT: Final = (stat.S_ISCHR, stat.S_ISFIFO)
_TRIES: Final = 16
#: Names of the process's own open files: written to that descriptor, as a shell would.
_OWN_FDS: Final = {"/dev/stdout": 1, "/dev/stderr": 2}
_FD_PREFIXES: Final = ("/dev/fd/", "/proc/self/fd/")


def _own_fd(name: str) -> int | None:
    """The descriptor ``name`` stands for (``/dev/stdout`` → 1), or None."""
    if name in _OWN_FDS:
        return _OWN_FDS[name]
    for prefix in _FD_PREFIXES:
        rest = name[len(prefix) :]
        if name.startswith(prefix) and rest.isdigit() and rest.isascii():
            return int(rest)
    return None


def _fail(path: str, message: str) -> OutputError:
    return OutputError(message, file=path)


def _os_fail(path: str, exc: OSError, doing: str) -> OutputError:
    reason = exc.strerror or errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return _fail(path, f"cannot {doing}: {reason}")


def _is_direct(mode: int) -> bool:
    return any(test(mode) for test in _DIRECT)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> str:
    """Check before any work that ``path`` may be written; return how it will be written.

    Returns
    -------
    str
        ``"stdout"``, ``"fd"`` (``/dev/stdout``, ``/dev/fd/N``: that open descriptor),
        ``"direct"`` (a device or FIFO, written in place) or ``"replace"`` (a new or
        regular file, written through a temporary file and renamed).

    Raises
    ------
    OutputError
        The path is refused (see the module docstring for the rules).
    """
    name = os.fspath(path)
    if name == STDOUT:
        return "stdout"
    if not name or "\x00" in name:
        raise _fail(repr(name), "not a usable file name")
    if _own_fd(name) is not None:
        return "fd"
    for source in inputs:
        source_name = os.fspath(source)
        if os.path.lexists(name) and _same_file(name, source_name):
            raise _fail(
                name, f"this is an input of the same run ({source_name}); name another file"
            )
    try:
        info = os.lstat(name)
    except FileNotFoundError:
        folder = os.path.dirname(name) or "."
        if not os.path.isdir(folder):
            raise _fail(name, f"the folder {folder!r} does not exist; create it first") from None
        return "replace"
    except OSError as exc:
        raise _os_fail(name, exc, "write here") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            linked = os.stat(name)
        except OSError:
            linked = None
        if linked is not None and _is_direct(linked.st_mode):
            return "direct"
        raise _fail(
            name,
            "this is a symbolic link; careflow does not write through links to files "
            "(name the file itself)",
        )
    if stat.S_ISDIR(info.st_mode):
        raise _fail(name, "this is a folder; name a file")
    if _is_direct(info.st_mode):
        return "direct"
    if not stat.S_ISREG(info.st_mode):
        raise _fail(
            name, "this is neither a regular file nor a character device or pipe; name a file"
        )
    if not info.st_mode & stat.S_IWUSR or not os.access(name, os.W_OK):
        raise _fail(name, "the file is read-only; careflow does not replace it (chmod u+w first)")
    return "replace"


def write_output(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    stdout: BinaryIO | None = None,
) -> None:
    """Write ``data`` to ``path`` completely, or raise and leave the target as it was.

    Parameters
    ----------
    path
        The target; ``-`` is standard output.
    data
        The bytes to write.
    inputs
        The files the run read; writing over any of them is refused.
    stdout
        Where ``-`` goes (default ``sys.stdout.buffer``).

    Raises
    ------
    OutputError
        The target is refused or the operating system failed to write it; nothing has
        been left behind (no temporary file, the old target untouched).
    """
    name = os.fspath(path)
    how = check_output(name, inputs=inputs)
    if how == "stdout":
        out = stdout if stdout is not None else sys.stdout.buffer
        try:
            out.write(data)
            out.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _os_fail("standard output", exc, "write") from None
        return
    if how == "fd":
        fd = _own_fd(name)
        assert fd is not None
        if fd == 1 and stdout is None:
            sys.stdout.flush()
        try:
            _write_all(fd, data)
        except OSError as exc:
            raise _os_fail(name, exc, "write") from None
        return
    if how == "direct":
        _write_direct(name, data)
        return
    _write_replace(name, data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _write_direct(name: str, data: bytes) -> None:
    try:
        fd = os.open(name, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise _os_fail(name, exc, "open it for writing") from None
    try:
        _write_all(fd, data)
    except OSError as exc:
        raise _os_fail(name, exc, "write") from None
    finally:
        os.close(fd)


def _create_temporary(folder: str) -> tuple[str, int]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for _ in range(_TRIES):
        tmp = os.path.join(folder, f".careflow-{secrets.token_hex(8)}.tmp")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not create a temporary file", folder)


def _write_replace(name: str, data: bytes) -> None:
    folder = os.path.dirname(name) or "."
    try:
        old_mode = stat.S_IMODE(os.stat(name).st_mode)
    except FileNotFoundError:
        old_mode = None
    except OSError as exc:
        raise _os_fail(name, exc, "write here") from None
    try:
        tmp, fd = _create_temporary(folder)
    except OSError as exc:
        raise _os_fail(name, exc, f"create a file in the folder {folder!r}") from None
    try:
        try:
            if old_mode is not None:
                os.fchmod(fd, old_mode)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _os_fail(name, exc, "write") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Flush the rename to disk where the platform allows it (best effort)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
