"""The one way truce writes an output file: whole or not at all."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from truce.errors import OutputError


def write_atomically(
    target: str | os.PathLike[str], write: Callable[[BinaryIO], None], what: str
) -> Path:
    """Write ``target`` through a temporary file beside it and a rename, so that the
    file appears whole or not at all (a failure leaves nothing behind).  ``write(out)``
    writes the content; the file gets the permissions the process's umask allows, as
    any new file does.  An unwritable target is an :class:`~truce.errors.OutputError`
    naming ``what`` was being written."""
    path = Path(target)
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(handle, "wb") as out:
                write(out)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise OutputError(f"{path}: cannot write {what}: {error.strerror}") from error
    return path


def write_text(target: str | os.PathLike[str], text: str, what: str) -> Path:
    """:func:`write_atomically` for a text (UTF-8)."""
    return write_atomically(target, lambda out: out.write(text.encode("utf-8")), what)
