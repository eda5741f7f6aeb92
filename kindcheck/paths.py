"""Files chosen by a person: output paths checked, then written whole; input files read safely.

A file that exists is never overwritten without ``force``; a symbolic link in the way is refused
even with ``force`` (it could point anywhere, e.g. into a synced cloud folder), and so is a
read-only file (the user's own "do not change"; Windows could not replace it anyway). Writes go
to a temporary file beside the target that is flushed to disk and then renamed over it, so a
full disk or a crash leaves either the old file or the new one, never half of one.

Windows: there is no ``O_NOFOLLOW``; ``O_EXCL`` already refuses any name that exists, a link
included, and before the rename the temporary name must still be the very file written (same
device and inode), so a link swapped in meanwhile is refused on every OS. ``O_BINARY`` keeps
the C runtime from writing CR LF for every LF byte. A file open in another program (Excel)
cannot be replaced for as long as it is open: the rename is tried again for a moment, then the
message says what to do.

Input files (answers files, the passphrase file) are read only when they are regular files,
and never more than a bound: a named pipe with no writer would hang the read, a device such as
/dev/zero would never end (:func:`read_regular_file`). A file holding a secret that other users
can read gets a warning (:func:`readable_by_others`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from pathlib import Path

from kindcheck.errors import KindcheckError


class OutputPathError(KindcheckError):
    """An output path that cannot or may not be written."""


def _open_flags() -> int:
    # Each is 0 where the platform lacks it: O_NOFOLLOW on Windows, O_BINARY elsewhere. Read at
    # each call, not at import, so a test can take the platform's flags away.
    return (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_BINARY", 0)
    )


# A virus scanner or an indexer holds a new file for a moment; a person closes Excel in seconds.
_REPLACE_WAITS = (0.1, 0.2, 0.4, 0.8)
_pause = time.sleep


def _is_read_only(target: Path) -> bool:
    # Windows' read-only attribute shows as a mode without write bits.
    return not target.stat().st_mode & stat.S_IWRITE


def check_output_path(path: str | Path, force: bool = False) -> Path:
    """Resolve ``path`` and check that it may be written; return the absolute path."""
    given = Path(path).expanduser()
    if given.is_symlink():
        raise OutputPathError.from_catalog("error.path.symlink", path=given)
    absolute = Path(os.path.abspath(given))
    parent = absolute.parent
    if not parent.is_dir():
        raise OutputPathError.from_catalog("error.path.no_folder", path=given, folder=parent)
    resolved_parent = parent.resolve()
    target = resolved_parent / absolute.name
    if target.is_symlink():
        raise OutputPathError.from_catalog("error.path.symlink", path=given)
    if target.is_dir():
        raise OutputPathError.from_catalog("error.path.is_folder", path=given)
    if target.exists() and not force:
        raise OutputPathError.from_catalog("error.path.exists", path=given)
    if target.exists() and _is_read_only(target):
        raise OutputPathError.from_catalog("error.path.read_only", path=given)
    return target


def write_output(path: str | Path, data: bytes, force: bool = False) -> Path:
    """Write ``data`` to a checked path atomically; return the path written."""
    target = check_output_path(path, force)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    replacing = False
    try:
        with os.fdopen(os.open(temporary, _open_flags(), 0o600), "wb") as handle:
            written = os.fstat(handle.fileno())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        now = os.lstat(temporary)
        if stat.S_ISLNK(now.st_mode) or (now.st_dev, now.st_ino) != (
            written.st_dev,
            written.st_ino,
        ):
            raise OutputPathError.from_catalog("error.path.swapped", path=path)
        if target.is_symlink():
            raise OutputPathError.from_catalog("error.path.became_link", path=path)
        if not force and target.exists():
            raise OutputPathError.from_catalog("error.path.appeared", path=path)
        replacing = True
        _replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise OutputPathError.from_catalog("error.path.disk_full", path=path) from None
        if replacing and isinstance(error, PermissionError):
            raise OutputPathError.from_catalog("error.path.in_use", path=path) from None
        raise OutputPathError.from_catalog(
            "error.path.not_written", path=path, reason=error.strerror
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return target


def _replace(temporary: Path, target: Path) -> None:
    """os.replace, tried again for a moment while Windows says the target is in use."""
    for wait in (*_REPLACE_WAITS, None):
        try:
            os.replace(temporary, target)
            return
        except PermissionError:
            if wait is None:
                raise
            _pause(wait)


class InputFileError(KindcheckError):
    """An input file that cannot or may not be read; the message names the file."""


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a plain file"


def _not_a_file(shown: str, what: str) -> InputFileError:
    # The English text names what was expected ("not an answers file"); the catalog's says
    # "not a file" in every language, as ``what`` is English.
    return InputFileError(
        f"{shown}: is a folder, not {what}", key="error.path.not_a_file", values={"path": shown}
    )


def read_regular_file(path: str | Path, limit: int, what: str = "a file") -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    Opened without waiting (O_NONBLOCK: opening a named pipe never blocks for a writer), then
    checked on the open file itself (fstat, so it cannot be swapped after a check), then read
    with a bound: a pipe, a device or a socket is refused at once, and a file that grows while
    it is read is refused past ``limit``. InputFileError names the file and what to do.
    """
    shown = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise InputFileError.from_catalog("error.path.not_found", path=shown) from None
    except IsADirectoryError:
        raise _not_a_file(shown, what) from None
    except OSError as error:
        raise InputFileError.from_catalog(
            "error.path.unreadable", path=shown, reason=error.strerror or "error"
        ) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise _not_a_file(shown, what)
        if not stat.S_ISREG(mode):
            raise InputFileError(
                f"{shown}: not a regular file (it is {_kind_of(mode)}); save it as a file first"
            )
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise InputFileError.from_catalog("error.path.too_large", path=shown, kib=limit // 1024)
        return b"".join(chunks)
    except OSError as error:
        raise InputFileError.from_catalog(
            "error.path.unreadable", path=shown, reason=error.strerror or "error"
        ) from None
    finally:
        os.close(descriptor)


def readable_by_others(path: str | Path) -> str | None:
    """For a file that holds a secret: why others may read it, in words for any language (its
    mode, e.g. "mode 0644", lets group or others read; or "uid 1001", another user, owns it),
    or None. POSIX only: Windows has no such modes, and
    there None (its ACLs are left to the user; SECURITY.md says so)."""
    if os.name != "posix":
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    if info.st_mode & 0o077:
        return f"mode {stat.S_IMODE(info.st_mode):04o}"
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return f"uid {info.st_uid}"
    return None
