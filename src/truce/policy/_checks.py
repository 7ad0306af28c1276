"""Checks for single values of a scenario: each turns a raw value into its clean form.

A check accepts both what a YAML loader produces (ruamel's ``ScalarFloat``, a
``datetime.date`` or an ISO string, a list of codes) and what a Python caller would pass
(a tuple of codes, a ``numpy.float64``), returns the normalised value, and raises
:class:`Invalid` with a short reason when the value is wrong.  Checks know nothing about
files, lines or keys: the caller adds those when it turns :class:`Invalid` into a
:class:`truce.errors.ScenarioError`.  Every check is idempotent: checking a clean value
returns it unchanged.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
from collections.abc import Callable
from typing import Any, Literal, TypeAlias

from ruamel.yaml.scalarbool import ScalarBoolean

WILDCARD: Literal["*"] = "*"
"""The code that stands for "every code" (for regions: every region but ``by``)."""

Selection: TypeAlias = tuple[str, ...] | Literal["*"]
"""Codes a measure covers on one axis: a tuple of codes or the wildcard ``"*"``."""

Check: TypeAlias = Callable[[Any], Any]
"""A value check: raw value in, clean value out, :class:`Invalid` on failure."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_SHOWN = 60


class Invalid(Exception):
    """A value failed its check.

    ``item`` is the 0-based position of the offending element when the value is a list,
    so that the caller can point at that element's own line.
    """

    def __init__(self, reason: str, *, item: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.item = item


def describe(value: object) -> str:
    """Describe a value briefly and safely, for error messages.

    Containers are named by kind only: a YAML document may alias one list inside
    another many times over, and printing such a value could take forever.
    """
    if value is None:
        return "null"
    if isinstance(value, bool | ScalarBoolean):
        return "true" if value else "false"
    if isinstance(value, str | int | float | datetime.date):
        shown = repr(str(value)) if isinstance(value, str) else str(value)
        if len(shown) > _MAX_SHOWN:
            shown = shown[: _MAX_SHOWN - 3] + "..."
        return shown
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a value of type {type(value).__name__}"


def is_boolean(value: object) -> bool:
    """True for ``bool``, ruamel's ``ScalarBoolean`` (an int subclass), numpy bools."""
    return isinstance(value, bool | ScalarBoolean) or type(value).__name__ == "bool_"


def check_text(value: object) -> str:
    """A non-empty string (a name, a description, a world)."""
    if not isinstance(value, str):
        raise Invalid(f"must be a string, not {describe(value)}")
    if not value.strip():
        raise Invalid("must not be empty")
    return str(value)


def check_real(value: object) -> float:
    """A finite real number (int or float, never a boolean or a string)."""
    if is_boolean(value) or not isinstance(value, numbers.Real):
        raise Invalid(f"must be a number, not {describe(value)}")
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError) as exc:
        raise Invalid(f"{describe(value)} is not a usable number") from exc
    if not math.isfinite(number):
        raise Invalid(f"must be a finite number, not {describe(value)}")
    return number


#: The largest rate a measure may give without ``allow_large: true`` (5 = 500%).
MAX_RATE = 5.0


def check_rate(value: object) -> float:
    """An ad-valorem rate: a finite real number >= 0 (0.25 = 25%)."""
    rate = check_real(value)
    if rate < 0:
        raise Invalid(f"{describe(value)} is negative; a rate is a fraction >= 0 (0.25 for 25%)")
    return rate


def check_flag(value: object) -> bool:
    """A yes/no switch: ``true`` or ``false``."""
    if not is_boolean(value):
        raise Invalid(f"must be true or false, not {describe(value)}")
    return bool(value)


def large_rate_reason(rate: float) -> str | None:
    """Why ``rate`` needs ``allow_large: true`` (above :data:`MAX_RATE`), or None."""
    if rate <= MAX_RATE:
        return None
    return (
        f"rate {rate:g} means {100 * rate:g}%: rates are fractions (0.60 for 60%); a rate "
        f"above {MAX_RATE:g} ({100 * MAX_RATE:g}%) needs allow_large: true on the measure"
    )


def check_factor(value: object) -> float:
    """A multiplicative cost factor: a finite real number > 0 (1.02 = 2% higher)."""
    factor = check_real(value)
    if factor <= 0:
        raise Invalid(f"{describe(value)} is not > 0; a factor must be > 0")
    return factor


def check_amount(value: object) -> float:
    """A non-negative amount (a fee): a finite real number >= 0."""
    amount = check_real(value)
    if amount < 0:
        raise Invalid(f"{describe(value)} is negative; it must be >= 0")
    return amount


def check_positive(value: object) -> float:
    """A finite real number > 0 (a purchase floor's value)."""
    number = check_real(value)
    if number <= 0:
        raise Invalid(f"{describe(value)} is not > 0; it must be > 0")
    return number


#: Largest elasticity of substitution a scenario may give critical inputs.
MAX_SIGMA = 10.0


def check_sigma(value: object) -> float | None:
    """An elasticity of substitution of critical inputs: ``None`` (the world's) or a
    finite real number in [0, :data:`MAX_SIGMA`] (0 Leontief, 1 Cobb–Douglas)."""
    if value is None:
        return None
    sigma = check_real(value)
    if not 0.0 <= sigma <= MAX_SIGMA:
        raise Invalid(
            f"{describe(value)} is outside [0, {MAX_SIGMA:g}]; an elasticity of "
            "substitution is >= 0 (0 Leontief, 1 Cobb-Douglas)"
        )
    return sigma


def check_share(value: object) -> float:
    """A share: a finite real number in [0, 1]."""
    share = check_real(value)
    if not 0.0 <= share <= 1.0:
        raise Invalid(
            f"{describe(value)} is outside [0, 1]; a share is a fraction in [0, 1] (0.26 for 26%)"
        )
    return share


def check_product(value: object) -> str | None:
    """A product name (a non-empty string without dots or blanks), or ``None`` (none).

    The parser rejects an explicit YAML null before any check runs.
    """
    if value is None:
        return None
    name = check_text(value)
    if "." in name or name != name.strip() or any(c.isspace() for c in name):
        raise Invalid(f"product {describe(value)} must not contain dots or blanks")
    return name


def check_source(value: object) -> str | None:
    """An elasticity source's name (a non-empty string without blanks), or ``None``.

    Which sources exist is the world's to say; a run checks the name against it."""
    if value is None:
        return None
    name = check_text(value)
    if any(c.isspace() for c in name):
        raise Invalid(f"elasticity source {describe(value)} must not contain blanks")
    return name


def check_date(value: object) -> datetime.date | None:
    """An ISO date: a ``datetime.date`` (not a datetime) or a ``YYYY-MM-DD`` string.

    ``None`` (no bound) passes unchanged; the parser rejects an explicit YAML null
    before any check runs.
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        raise Invalid(f"{describe(value)} has a time; give a date as YYYY-MM-DD")
    if isinstance(value, datetime.date):
        return datetime.date(value.year, value.month, value.day)
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value) is None:
            raise Invalid(f"{describe(value)} is not an ISO date (YYYY-MM-DD)")
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise Invalid(f"{describe(value)} is not a valid date ({exc})") from exc
    raise Invalid(f"must be an ISO date (YYYY-MM-DD), not {describe(value)}")


def choice(*allowed: str, optional: bool = False) -> Check:
    """A check that accepts exactly one of the ``allowed`` strings (or ``None``, the
    default left unset, when ``optional``; the parser rejects an explicit YAML null)."""
    listed = ", ".join(allowed)

    def check_choice(value: object) -> str | None:
        if optional and value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            raise Invalid(f"must be one of {listed}, not {describe(value)}")
        return str(value)

    return check_choice


def codes(axis: Literal["region", "sector"]) -> Check:
    """A check for a code selection on one axis: a code, a list of codes, or ``"*"``.

    A single code becomes a one-element tuple; a list keeps its order and loses
    repeated codes (they select the same cells).  ``"*"`` may only stand alone.
    """

    def check_codes(value: object) -> Selection:
        if isinstance(value, str):
            if value == WILDCARD:
                return WILDCARD
            return (_check_code(value, axis),)
        if not isinstance(value, list | tuple):
            raise Invalid(
                f'must be a {axis} code, a list of {axis} codes or "*", not {describe(value)}'
            )
        if not value:
            raise Invalid(f'the list names no {axis}; give codes or "*"')
        clean: dict[str, None] = {}
        for item, code in enumerate(value):
            if isinstance(code, str) and code == WILDCARD:
                raise Invalid('"*" must stand alone, not inside a list', item=item)
            try:
                clean[_check_code(code, axis)] = None
            except Invalid as exc:
                raise Invalid(exc.reason, item=item) from exc
        return tuple(clean)

    return check_codes


def _check_code(code: object, axis: str) -> str:
    if not isinstance(code, str):
        raise Invalid(f"{axis} code {describe(code)} is not a string; quote it")
    if not code.strip():
        raise Invalid(f"{axis} code must not be empty")
    return str(code)
