"""The source lists of the project's facts files, as a table of keys, titles and addresses.

The scenario library and the framework documents cite their facts by key (``[S42]``,
``[S274]``).  The facts files (``us-china-measures.md``, keys S1 and up, and its
addendum ``us-china-2026.md``, keys S200 and up) end with a source list, one line per
key::

    - S36 — <title> (<outlet>) — <address> ; S36a — <title> — <address>

A line may hold several entries separated by `` ; ``: a new key (``S36a``), or another
address for the same key.  :func:`read_facts_sources` turns the lists into one row per
(key, address) with the key's title, and :func:`build_sources_table` writes the table that
truce ships (``builtin/sources/sources.csv``), so that every key resolves without the facts
files.  Only keys, titles (as the facts list them: headlines or labels) and addresses are
kept; none of the files' prose.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from truce.errors import WorldError

#: The facts files, in the order their keys are numbered.
FACTS_FILES: tuple[str, ...] = ("us-china-measures.md", "us-china-2026.md")
#: The heading of each file's source list.
_HEADINGS = re.compile(r"^## (Sources|C\. Sources)\b")
_KEY = re.compile(r"^(S[0-9]+[a-z]?) — (.*)$")
_SEPARATOR = " ; "
_DASH = " — "
#: Parenthesised notes longer than this are the facts' own commentary, not a title's part.
_LONG_NOTE = 80
_NOTE = re.compile(r"\s*\(([^()]*)\)")
COLUMNS: tuple[str, ...] = ("key", "title", "quality", "address", "file")


def _title_and_quality(raw: str) -> tuple[str, str]:
    """The title without long parenthesised notes, and the source's quality as the facts
    mark it (``secondary``, ``low quality`` or empty)."""
    quality = ""
    if "low quality" in raw:
        quality = "low quality"
    elif "secondary" in raw:
        quality = "secondary"

    def keep(match: re.Match[str]) -> str:
        return "" if len(match.group(1)) > _LONG_NOTE else match.group(0)

    return _NOTE.sub(keep, raw).strip(), quality


def _entries(text: str) -> list[tuple[str, str, str, str]]:
    """(key, title, quality, address) for every entry of one source-list line's text
    (after ``- ``)."""
    out: list[tuple[str, str, str, str]] = []
    key: str | None = None
    title, quality = "", ""
    for part in text.split(_SEPARATOR):
        part = part.strip()
        match = _KEY.match(part)
        if match:
            key, part = match.group(1), match.group(2)
            title, quality = "", ""
        if key is None:
            raise ValueError(f"an entry without a key: {part!r}")
        if _DASH in part:
            part_title, address = part.rsplit(_DASH, 1)
            title, quality = _title_and_quality(part_title)
        else:  # another address for the same title
            address = part
        out.append((key, title, quality, address.strip()))
    return out


def read_facts_sources(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """Every entry of the facts files' source lists in ``folder``: columns ``key``,
    ``title``, ``quality`` (``secondary``, ``low quality`` or empty, as the facts mark
    it), ``address``, ``file`` (one row per address).  Raises
    :class:`~truce.errors.WorldError` naming the file and line of a file that is
    missing, has no source list, or holds a line it cannot read."""
    rows: list[tuple[str, str, str, str, str]] = []
    for name in FACTS_FILES:
        path = Path(folder) / name
        if not path.is_file():
            raise WorldError(f"{path}: missing (the project's facts file)")
        lines = path.read_text(encoding="utf-8").splitlines()
        start = next((k for k, line in enumerate(lines) if _HEADINGS.match(line)), None)
        if start is None:
            raise WorldError(f"{path}: no source list (a '## Sources' heading)")
        for number, line in enumerate(lines[start + 1 :], start=start + 2):
            if not line.startswith("- S"):
                continue
            try:
                rows += [(*entry, name) for entry in _entries(line[2:])]
            except ValueError as error:
                raise WorldError(f"{path}:{number}: {error}") from None
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    twice = table.duplicated(["key", "address"])
    if twice.any():
        first = table[twice].iloc[0]
        raise WorldError(f"{first['file']}: key {first['key']} lists {first['address']} twice")
    return table


def build_sources_table(folder: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Read the facts files in ``folder`` and write their source table to ``out`` (CSV)."""
    table = read_facts_sources(folder)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    table.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(out)
    return out
