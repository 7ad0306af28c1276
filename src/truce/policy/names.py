"""Codes and the names beside them: a scenario may name a region or a sector by its
code or by its name (any case), and an unknown one gets suggestions ("did you mean")."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

#: How many suggestions an error offers.
MAX_SUGGESTIONS = 3


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def resolve(text: str, codes: Sequence[str], names: Sequence[str]) -> str | None:
    """The code ``text`` stands for: a code, a code in another case, or a name (any
    case, spaces squeezed); None when it is none of them or names several."""
    if text in codes:
        return text
    folded = _fold(text)
    found = {c for c in codes if _fold(c) == folded}
    found |= {c for c, n in zip(codes, names, strict=False) if n and _fold(n) == folded}
    return found.pop() if len(found) == 1 else None


def suggest(text: str, codes: Sequence[str], names: Sequence[str]) -> list[str]:
    """Up to :data:`MAX_SUGGESTIONS` codes ``text`` may have meant, best first, each as
    ``CODE (Name)``: names or codes that contain it, or that are spelled close to it."""
    folded = _fold(text)
    labelled = list(zip(codes, list(names) + [""] * (len(codes) - len(names)), strict=True))
    scored: dict[str, float] = {}
    for code, name in labelled:
        if not folded:
            break
        words = _fold(name).replace(",", " ").split()
        stem = folded[: max(4, len(folded) - 3)]
        if folded in _fold(name) or any(w.startswith(stem) for w in words):
            scored[code] = max(scored.get(code, 0.0), 0.9)
        for candidate in (_fold(code), _fold(name)):
            if candidate:
                ratio = difflib.SequenceMatcher(None, folded, candidate).ratio()
                if ratio >= 0.6:
                    scored[code] = max(scored.get(code, 0.0), ratio)
    best = sorted(scored, key=lambda c: -scored[c])[:MAX_SUGGESTIONS]
    named = dict(labelled)
    return [f"{c} ({named[c]})" if named[c] else c for c in best]


def did_you_mean(text: str, codes: Sequence[str], names: Sequence[str]) -> str:
    """``"; did you mean C26 (Computer, electronic and optical equipment)?"`` or ``""``."""
    found = suggest(text, codes, names)
    return f"; did you mean {' or '.join(found)}?" if found else ""


def labelled(code: str, codes: Sequence[str], names: Sequence[str]) -> str:
    """``C26 (Computer, electronic and optical equipment)``, or the code alone."""
    named = dict(zip(codes, names, strict=False))
    name = named.get(code)
    return f"{code} ({name})" if name and name != code else code
