"""Use-cases: the source keys that scenarios and frameworks cite, resolved to their titles
and addresses (the table ``builtin/sources/sources.csv``, built from the project's facts
files by ``scripts/build_sources.py``; see docs/sources.md)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import pandas as pd

from truce.config import builtin_folder
from truce.errors import InputError

#: A source key: ``S`` and a number, perhaps a letter (``S42``, ``S37a``, ``S274``).
KEY = re.compile(r"\bS[0-9]+[a-z]?\b")
#: A bracketed citation in a file's text: ``[S42, S43]``.
_CITATION = re.compile(r"\[([^\[\]]*)\]")


@functools.cache
def source_table() -> pd.DataFrame:
    """Every source the library may cite: columns ``key``, ``title``, ``quality``,
    ``address``, ``file`` (one row per address)."""
    path = builtin_folder("sources") / "sources.csv"
    return pd.read_csv(str(path), dtype=str, keep_default_na=False)


def cited_keys(text: str) -> tuple[str, ...]:
    """The source keys cited in ``text`` (inside square brackets), in order of first
    citation."""
    keys = (key for group in _CITATION.findall(text) for key in KEY.findall(group))
    return tuple(dict.fromkeys(keys))


def _order(key: str) -> tuple[int, str]:
    return int(re.sub(r"[^0-9]", "", key)), key


def resolve_sources(keys: Iterable[str], *, strict: bool = True) -> pd.DataFrame:
    """The rows of :func:`source_table` for ``keys``, in the order given.  Raises
    :class:`~truce.errors.InputError` naming the keys the table lacks, or with
    ``strict=False`` leaves them out (a user's file may cite keys of its own)."""
    wanted = list(dict.fromkeys(keys))
    table = source_table()
    unknown = [k for k in wanted if k not in set(table["key"])]
    if unknown and strict:
        raise InputError(
            f"unknown source key(s) {', '.join(unknown)}: the facts' keys run from S1 "
            f"(us-china-measures.md) and S200 (us-china-2026.md); `truce sources` lists them"
        )
    rank = {k: i for i, k in enumerate(wanted)}
    chosen = table[table["key"].isin(rank)]
    return chosen.sort_values("key", key=lambda s: s.map(rank), kind="stable").reset_index(
        drop=True
    )


def all_keys() -> tuple[str, ...]:
    """Every key of the table, in number order."""
    return tuple(sorted(set(source_table()["key"]), key=_order))
