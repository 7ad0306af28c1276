"""The scenario editor's helper: a tariff from the small form, appended to the YAML.

Only codes, a non-negative rate, a mode and ISO dates are accepted, so what is added is
always well-formed YAML; whether the scenario then holds together is for the parser
(the Validate button) to say.
"""

from __future__ import annotations

import math
import re
from datetime import date as Date

from truce.web.inputs import RequestError

_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
_NAME = re.compile(r"^name\s*:", re.MULTILINE)
#: The first line given to a scenario built in an empty editor.
NEW_SCENARIO_NAME = "name: my-scenario"
_MEASURES = re.compile(r"^measures\s*:\s*(\[\s*\])?\s*(#.*)?$")
_TOP_KEY = re.compile(r"^[^\s#\-][^:]*:")
_ITEM = re.compile(r"^(\s*)-\s")


def _codes(text: str, key: str, *, star: bool) -> str:
    """``A``, ``[A, B]`` or ``"*"`` for a comma-separated list of codes."""
    text = text.strip()
    if text in ("", "*"):
        if not star:
            raise RequestError(400, f"tariff {key}: give a region code or a list of them")
        return '"*"'
    parts = [p.strip() for p in text.split(",") if p.strip()]
    for part in parts:
        if not _CODE.fullmatch(part):
            raise RequestError(400, f"tariff {key}: {part!r} is not a code")
    return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"


def _rate(text: str) -> str:
    try:
        rate = float(text)
    except ValueError:
        raise RequestError(400, f"tariff rate: {text!r} is not a number (0.25 = 25%)") from None
    if not math.isfinite(rate) or rate < 0:
        raise RequestError(400, f"tariff rate: {text!r} must be a number of 0 or more")
    return repr(rate)


def _day(text: str, key: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return Date.fromisoformat(text).isoformat()
    except ValueError:
        raise RequestError(400, f"tariff {key}: {text!r} is not a date (YYYY-MM-DD)") from None


def tariff_lines(
    *, by: str, on: str, sectors: str, rate: str, mode: str, start: str, end: str
) -> list[str]:
    """The keys of a tariff measure, one line each, unindented."""
    if mode not in ("add", "set"):
        raise RequestError(400, f"tariff mode: {mode!r} is neither add nor set")
    lines = [
        "kind: tariff",
        f"by: {_codes(by, 'by', star=False)}",
        f"on: {_codes(on, 'on', star=True)}",
        f"sectors: {_codes(sectors, 'sectors', star=True)}",
        f"rate: {_rate(rate)}",
        f"mode: {mode}",
    ]
    for key, text in (("start", start), ("end", end)):
        day = _day(text, key)
        if day is not None:
            lines.append(f"{key}: {day}")
    return lines


def append_measure(text: str, keys: list[str]) -> str:
    """``text`` with a measure (its ``keys`` lines) added at the end of its ``measures``
    list, which is created when the scenario has none."""
    if not _NAME.search(text):
        # A scenario needs a name: an empty editor becomes a whole scenario.
        text = f"{NEW_SCENARIO_NAME}\n{text}"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _MEASURES.match(line)), None)
    if start is None:
        body = text.rstrip("\n")
        lines = [*(body.splitlines() if body else []), "measures:"]
        start, end, indent = len(lines) - 1, len(lines), "  "
    else:
        if "[" in lines[start].split("#")[0]:
            lines[start] = "measures:"
        end = start + 1
        last = start + 1
        while end < len(lines) and not _TOP_KEY.match(lines[end]):
            if lines[end].strip() and not lines[end].lstrip().startswith("#"):
                last = end + 1
            end += 1
        end = last
        item = next(
            (m for line in lines[start + 1 : end] if (m := _ITEM.match(line)) is not None), None
        )
        indent = item.group(1) if item is not None else "  "
    block = [f"{indent}- {keys[0]}", *(f"{indent}  {key}" for key in keys[1:])]
    return "\n".join([*lines[:end], *block, *lines[end:]]) + "\n"
