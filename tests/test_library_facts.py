"""The scenario library against the facts files, line by line (a table-driven test).

The table is the facts files themselves: every line of us-china-measures.md and
us-china-2026.md that cites source keys gives, for each key it cites, the dates and
the percentages that line states.  Each value of a library file whose comment cites a key
must then be one of the values the facts state beside that key:

- a ``start``, ``end`` or ``as_of`` date: a date on a line citing one of the comment's
  keys (written 2025-11-10, Nov 10, 2025 or 10 Nov 2025), or the first day of a year
  such a line names, or of the year after (a commitment "in each of 2026, 2027 and
  2028" runs from 1 January 2026 to 1 January 2029);
- a statutory ``rate`` or ``share`` (a comment that neither weights, scales nor assumes:
  no "x", "=", "mean", "weighted" or "assumption"): a percentage on such a line, or the
  difference of two (a rise "from 34% to 84%" adds 50 points).

Values whose comments cite no key the facts list are assumptions, checked elsewhere
(tests/test_scenario_library.py: every value carries a key or says "assumption").
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FACTS = REPO.parent / "shared" / "facts"
FACTS_FILES = ("us-china-measures.md", "us-china-2026.md")
SCENARIOS = resources.files("truce") / "builtin" / "scenarios"

KEY = re.compile(r"\bS[0-9]+[a-z]?\b")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = f"({'|'.join(MONTH_NAMES)})[a-z]*\\.?"
MONTHS = {m: i + 1 for i, m in enumerate(MONTH_NAMES)}
ISO = re.compile(r"\b(20[0-9]{2})-([01][0-9])-([0-3][0-9])\b")
MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH} ([0-9]{{1,2}}),? (20[0-9]{{2}})\b")
DAY_MONTH_YEAR = re.compile(rf"\b([0-9]{{1,2}}) {_MONTH} (20[0-9]{{2}})\b")
YEAR = re.compile(r"\b(20[0-9]{2})\b")
PERCENT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(?:%|pp\b| points\b)")
LIBRARY_VALUE = re.compile(r"^\s*(start|end|as_of|rate|share):\s*(\S+)\s*#(.*)$")
DERIVED = re.compile(r"\bx\b|=|\bmean\b|weight|assum", re.IGNORECASE)


@dataclass
class Stated:
    """What the facts state beside one key: dates and rates (fractions)."""

    dates: set[datetime.date] = field(default_factory=set)
    rates: set[float] = field(default_factory=set)


def _facts() -> dict[str, Stated]:
    if not all((FACTS / name).is_file() for name in FACTS_FILES):
        pytest.skip(f"facts files not found in {FACTS} (../shared beside the repository)")
    stated: dict[str, Stated] = {}
    for name in FACTS_FILES:
        for line in (FACTS / name).read_text(encoding="utf-8").splitlines():
            if line.startswith("- S") and " — http" in line:
                continue  # the source list: titles, not facts
            keys = set(KEY.findall(line))
            if not keys:
                continue
            days = {datetime.date(int(y), int(m), int(d)) for y, m, d in ISO.findall(line)}
            days |= {
                datetime.date(int(y), MONTHS[m], int(d)) for m, d, y in MONTH_DAY_YEAR.findall(line)
            }
            days |= {
                datetime.date(int(y), MONTHS[m], int(d)) for d, m, y in DAY_MONTH_YEAR.findall(line)
            }
            years = {int(y) for y in YEAR.findall(line)}
            days |= {datetime.date(y + k, 1, 1) for y in years for k in (0, 1)}
            percents = [float(p) for p in PERCENT.findall(line)]
            rates = {round(p / 100, 6) for p in percents}
            rates |= {round(abs(a - b) / 100, 6) for a, b in itertools.combinations(percents, 2)}
            for key in keys:
                entry = stated.setdefault(key, Stated())
                entry.dates |= days
                entry.rates |= rates
    return stated


def _library_values() -> list[tuple[str, int, str, str, str]]:
    """(file, line, key name, value, comment) of every sourced value in the library."""
    found = []
    for path in sorted(SCENARIOS.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".yaml"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = LIBRARY_VALUE.match(line)
            if match:
                found.append((path.name, number, *match.groups()))
    return found


def test_every_sourced_date_is_one_the_facts_state() -> None:
    stated = _facts()
    checked, wrong = 0, []
    for name, number, key, value, comment in _library_values():
        if key not in ("start", "end", "as_of"):
            continue
        cited = [k for k in KEY.findall(comment.split("assumption")[0]) if k in stated]
        if not cited:
            continue
        checked += 1
        day = datetime.date.fromisoformat(value)
        if not any(day in stated[k].dates for k in cited):
            wrong.append(f"{name}:{number}: {key} {day} is on no facts line of {cited}")
    assert not wrong, "\n".join(wrong)
    assert checked > 150  # the library's dates are sourced, not assumed


def test_every_statutory_rate_is_one_the_facts_state() -> None:
    stated = _facts()
    checked, wrong = 0, []
    for name, number, key, value, comment in _library_values():
        if key not in ("rate", "share") or DERIVED.search(comment):
            continue
        cited = [k for k in KEY.findall(comment) if k in stated]
        if not cited:
            continue
        checked += 1
        rate = round(float(value), 6)
        if not any(rate in stated[k].rates for k in cited):
            wrong.append(f"{name}:{number}: {key} {rate} is on no facts line of {cited}")
    assert not wrong, "\n".join(wrong)
    assert checked > 25


def test_the_check_catches_a_wrong_date_and_rate() -> None:
    # The same rules on a made-up line: a date and a rate the facts do not state fail.
    stated = _facts()
    assert datetime.date(2025, 2, 4) in stated["S14"].dates  # the fentanyl tariff's start
    assert datetime.date(2025, 2, 5) not in stated["S14"].dates
    assert 0.10 in stated["S14"].rates and 0.37 not in stated["S14"].rates
