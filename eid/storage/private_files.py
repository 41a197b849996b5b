"""Files only their owner can read: the SQLite databases holding keys and secrets.

The durable store keeps the provider's private signing keys and its session
and pairwise secrets; a portal's database keeps citizens' filings. Both are
created owner-only (folders 0700, files 0600) whatever the process umask, and
an existing file that group or others can read is refused at start rather than
trusted: another local account may already have copied the keys.

SQLite creates its side files (``-wal``, ``-shm``, ``-journal``) with the
permissions of the database file, so creating that file 0600 before SQLite
opens it covers them too; side files left over with wider permissions are
refused like the database itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from eid.errors import StorageError

__all__ = ["make_private_folder", "prepare_private_file"]

_SIDE_FILES: Final = ("-wal", "-shm", "-journal")
_OTHERS: Final = stat.S_IRWXG | stat.S_IRWXO
_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)  # never create through a planted symlink


def make_private_folder(folder: str | Path) -> None:
    """Create ``folder`` and its missing parents owner-only (0700); existing ones stay as they are.

    :raises StorageError: ``storage_unavailable`` when a folder cannot be created.
    """
    folder = Path(folder)
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass  # created meanwhile by another process: checked like any folder
        except OSError as exc:
            raise StorageError(f"cannot create {path}: {exc}", code="storage_unavailable") from exc
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask


def _refuse_if_shared(path: Path) -> None:
    if os.name != "posix":
        return  # Windows has ACLs, not mode bits: st_mode says nothing about other accounts
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot open {path}: {exc}", code="storage_unavailable") from exc
    if mode & _OTHERS:
        raise StorageError(
            f"{path} is open to other accounts (mode {stat.S_IMODE(mode):04o}); it holds "
            f"keys or personal data: make it owner-only (chmod 600 {path}) after checking "
            "that nobody copied it", code="insecure_key_file")


def prepare_private_file(path: str | Path) -> None:
    """Make ``path`` ready for SQLite: created 0600 if missing, refused if shared.

    The folder must exist (:func:`make_private_folder` creates it): a mistyped
    path is an error, not a new folder.

    :raises StorageError: ``insecure_key_file`` when the file or one of its
        SQLite side files can be read or written by group or others;
        ``storage_unavailable`` when the file cannot be created.
    """
    path = Path(path)
    for existing in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        _refuse_if_shared(existing)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StorageError(f"cannot create {path}: {exc}", code="storage_unavailable") from exc
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)  # exactly, whatever the umask took away
    finally:
        os.close(fd)
