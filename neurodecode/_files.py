"""Writing files safely: output folders checked up front, atomic writes, folder locks.

- :func:`prepare_output_dir` creates a folder (or finds it) and proves it writable by
  writing a probe file, so that a bad path fails before hours of work, not after;
- :func:`atomic_write` writes through a unique temporary file in the target folder, flushed
  and fsync-ed before an atomic rename (and the folder fsync-ed after), and removes the
  temporary file when anything fails;
- :func:`hold_dir` takes an exclusive OS file lock on a folder for the duration of a fit
  (re-entrant within a process, released by the OS when the process dies).
"""
import contextlib
import os
import tempfile
import threading
from pathlib import Path

from ._errors import CheckpointDirInUseError

LOCK_NAME = ".neurodecode.lock"


def _check_path_type(path, argument):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{argument} must be a path (str or path-like); got {path!r} of type "
                        f"{type(path).__name__}.")
    return Path(path)


def prepare_output_dir(path, argument, create=True):
    """Return ``path`` as a folder that exists (created if ``create``) and can be written.

    Parameters
    ----------
    path : path-like
        The folder.
    argument : str
        Name of the user-facing argument, for messages.
    create : bool, default=True
        Create missing folders (with their parents).

    Returns
    -------
    folder : pathlib.Path

    Raises
    ------
    NotADirectoryError
        ``path``, or a folder above it, is a file.
    FileNotFoundError
        ``path`` is missing and ``create`` is False.
    PermissionError
        Nothing can be written there (read-only folder or file system).
    """
    folder = _check_path_type(path, argument)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{argument}={os.fspath(path)!r} is an existing file, not a "
                                 "folder; pass a folder (it is created if missing).")
    if not folder.exists():
        if not create:
            raise FileNotFoundError(f"{argument}={os.fspath(path)!r}: the folder does not "
                                    "exist; create it first.")
        for parent in folder.absolute().parents:
            if parent.exists():
                if not parent.is_dir():
                    raise NotADirectoryError(
                        f"{argument}={os.fspath(path)!r} lies below {os.fspath(parent)!r}, "
                        "which is a file; pass a folder path.")
                break
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PermissionError(
                f"{argument}={os.fspath(path)!r}: cannot create the folder ({_reason(exc)}); "
                "pass a folder you can write to.") from exc
    try:
        fd, probe = tempfile.mkstemp(prefix=".neurodecode-probe-", dir=folder)
    except OSError as exc:
        raise PermissionError(
            f"{argument}={os.fspath(path)!r}: cannot write in this folder ({_reason(exc)}); "
            "pass a folder you can write to.") from exc
    os.close(fd)
    os.unlink(probe)
    return folder


def _reason(exc):
    return exc.strerror or str(exc)


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def atomic_write(path, write, argument="path"):
    """Write a file atomically: ``write(fileobj)`` into a unique temporary, then rename.

    The temporary file lies in the target folder (named ``.<name>.<random>.tmp``), is
    flushed and fsync-ed before :func:`os.replace`, and is removed if anything fails, so
    the target is either the old file or the complete new one and no stray temporary
    remains; concurrent writers never share a temporary name.

    Parameters
    ----------
    path : path-like
        The file to (re)place.
    write : callable
        ``write(f)`` writes the content to the binary file object ``f``.
    argument : str
        Name of the user-facing argument, for messages.
    """
    path = _check_path_type(path, argument)
    folder = path.parent
    if path.is_dir():
        raise IsADirectoryError(f"{argument}={os.fspath(path)!r} is a folder; pass a file "
                                "path.")
    if not folder.is_dir():
        blocker = next((p for p in [folder, *folder.parents] if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise NotADirectoryError(f"{argument}={os.fspath(path)!r} lies below "
                                     f"{os.fspath(blocker)!r}, which is a file.")
        raise FileNotFoundError(f"{argument}={os.fspath(path)!r}: the folder "
                                f"{os.fspath(folder)!r} does not exist; create it first.")
    try:
        mode = path.stat().st_mode & 0o777  # a replaced file keeps its permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask  # as open() would create it
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise PermissionError(
            f"{argument}={os.fspath(path)!r}: cannot write in {os.fspath(folder)!r} "
            f"({_reason(exc)}); pass a path in a folder you can write to.") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # a symlink at ``path`` is replaced, its target left as it was
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


# -- folder locks ------------------------------------------------------------------------------
_HELD = {}  # real path of the lock file -> [file descriptor, count, owning thread]
_HELD_GUARD = threading.Lock()


def _try_lock(fd):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owner(lock_path):
    with contextlib.suppress(OSError, ValueError):
        return Path(lock_path).read_text().strip() or "unknown"
    return "unknown"


@contextlib.contextmanager
def hold_dir(path, argument="checkpoint_dir"):
    """Hold an exclusive lock on folder ``path`` (checked and created first) while inside.

    Re-entrant within one thread (a decoder fit holds its folder while it fits its encoder
    into the same folder); another thread or process is refused. The lock is an OS lock (``flock``) on the file
    ``.neurodecode.lock`` in the folder: the OS releases it when the holder exits or is
    killed, so a crashed fit never blocks the next one.

    Parameters
    ----------
    path : path-like or None
        The folder; None holds nothing.
    argument : str
        Name of the user-facing argument, for messages.

    Raises
    ------
    CheckpointDirInUseError
        Another process holds the folder.
    """
    if path is None:
        yield None
        return
    folder = prepare_output_dir(path, argument)
    lock_path = os.path.join(os.path.realpath(folder), LOCK_NAME)
    me = threading.get_ident()
    with _HELD_GUARD:
        held = _HELD.get(lock_path)
        if held is not None and held[2] != me:
            raise CheckpointDirInUseError(
                f"{argument}={os.fspath(path)!r} is in use by another fit in this process "
                "(another thread); give each fit its own checkpoint_dir.")
        if held is not None:
            held[1] += 1
        else:
            if os.path.lexists(lock_path) and (os.path.islink(lock_path)
                                               or not os.path.isfile(lock_path)):
                raise CheckpointDirInUseError(
                    f"{argument}={os.fspath(path)!r}: {lock_path} is not a regular file "
                    "(a link or a folder); remove it, or give this fit another folder.")
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0),
                         0o644)
            if not _try_lock(fd):
                os.close(fd)
                raise CheckpointDirInUseError(
                    f"{argument}={os.fspath(path)!r} is in use by another fit "
                    f"({_owner(lock_path)}); two fits writing one folder would overwrite "
                    "each other's checkpoints. Wait for it to finish, or give this fit "
                    "its own checkpoint_dir.")
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()} on {_hostname()}".encode())
            _HELD[lock_path] = [fd, 1, me]
    try:
        yield folder
    finally:
        with _HELD_GUARD:
            held = _HELD[lock_path]
            held[1] -= 1
            if held[1] == 0:
                del _HELD[lock_path]
                os.close(held[0])  # closing the descriptor releases the lock


def _hostname():
    import socket

    return socket.gethostname()


# -- reading torch files defensively -----------------------------------------------------------
def check_torch_zip(path, what):
    """Refuse a file that torch would expand far beyond its size, before ``torch.load``.

    ``torch.save`` writes an uncompressed zip; a member that is compressed, or members whose
    declared sizes exceed the file's own size, can only come from a crafted file (a small
    file that inflates to gigabytes while it is read). Non-zip files pass through (torch
    then refuses them).

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        How to name it in messages (e.g. "model file").

    Raises
    ------
    ValueError
        With the file named.
    """
    import zipfile

    if not zipfile.is_zipfile(path):
        return
    size = os.path.getsize(path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # damaged: torch's own reader gives the error
    packed = [i.filename for i in infos if i.compress_type != zipfile.ZIP_STORED]
    declared = sum(i.file_size for i in infos)
    if packed or declared > size:
        raise ValueError(
            f"{os.fspath(path)} is not a {what} as torch.save writes it: "
            + (f"compressed members ({packed[:3]})" if packed else
               f"its members declare {declared} bytes in a file of {size}")
            + "; it was crafted or repacked.")


def digest(obj, h=None):
    """SHA-256 of nested dicts/lists/tuples of tensors, arrays, numbers, strings and None.

    Dict keys are visited sorted; a tensor contributes its dtype, shape and bytes. Used to
    seal checkpoints (model files seal their estimator node the same way).

    Parameters
    ----------
    obj : object
        The payload.
    h : hashlib object or None
        Updated in place; a new SHA-256 when None.

    Returns
    -------
    h : hashlib object
    """
    import hashlib

    import numpy as np
    import torch

    h = hashlib.sha256() if h is None else h
    if isinstance(obj, dict):
        h.update(b"{")
        for key in sorted(obj, key=repr):
            h.update(repr(key).encode() + b":")
            digest(obj[key], h)
        h.update(b"}")
    elif isinstance(obj, (list, tuple)):
        h.update(b"[" if isinstance(obj, list) else b"(")
        for item in obj:
            digest(item, h)
        h.update(b"]")
    elif isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        h.update(f"A{a.dtype}{a.shape}".encode())
        h.update(a.view(np.uint8).reshape(-1))
    else:
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    return h


def read_torch_file(path, what, error, advice=""):
    """Read a file that :func:`torch.save` wrote, safely, with clear errors.

    The one reader of the package's torch files (model files, checkpoints, class
    galleries): a folder, a non-regular, empty, repacked or unreadable file is refused with
    ``error`` (a subclass of ``ValueError``) naming the file and ``what`` it should be;
    the content is loaded with ``torch.load(weights_only=True)`` (tensors and plain
    containers only, nothing executed) on the CPU.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What it should be ("neurodecode model file"), for messages.
    error : type
        The exception raised.
    advice : str, default=""
        Appended to every message (what to do).

    Returns
    -------
    payload : object
        What the file holds.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    """
    import torch

    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"{name}: no such {what}.")
    if os.path.isdir(name):
        raise error(f"{name} is a folder, not a {what}.{advice}")
    if not os.path.isfile(name):
        raise error(f"{name} is not a regular file (a device or a pipe?), not a {what}."
                    f"{advice}")
    if os.path.getsize(name) == 0:
        raise error(f"{name} is empty (0 bytes): not a {what}.{advice}")
    try:
        check_torch_zip(name, what)
    except ValueError as exc:
        raise error(f"{exc}{advice}") from None
    try:
        return torch.load(name, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch's errors differ by defect and version
        raise error(
            f"{name} is truncated or not a {what} (it cannot be read as one: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})."
            f"{advice}") from exc


def seal(payload):
    """``payload`` (a dict) with the SHA-256 of its content added as ``sha256``."""
    return dict(payload, sha256=digest(payload).hexdigest())


def unseal(payload, where, error, advice=""):
    """``payload`` without its ``sha256``, after checking it against the content; a
    missing or different checksum raises ``error`` naming ``where``."""
    payload = dict(payload)
    sealed = payload.pop("sha256", None)
    if sealed != digest(payload).hexdigest():
        what = ("does not match the checksum stored in it" if sealed else
                "holds no checksum (written by an older neurodecode, or edited)")
        raise error(f"{where} {what}: it was damaged or changed after it was written.{advice}")
    return payload
