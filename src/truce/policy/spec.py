"""Immutable, validated scenario specifications.

A :class:`Scenario` holds :class:`Options` and a tuple of measures.  Every measure kind
is a frozen dataclass derived from :class:`Measure` and registered in one table,
:data:`MEASURE_KINDS`, under the name used by the ``kind`` key of a scenario file.  The
fields that a scenario file may set are the dataclass fields whose metadata carries a
value check (see :func:`checked`); the parser discovers them from the class, so a new
kind needs nothing but its class and the :func:`register_measure` decorator (and, to
reach a shock, a compiler registered in :mod:`truce.policy.compile`)::

    @register_measure
    @dataclass(frozen=True, kw_only=True)
    class ExportTax(Measure):
        kind: ClassVar[str] = "export_tax"
        by_role: ClassVar[Role] = "exporter"
        rate: float = field(metadata=checked(check_rate))

Objects validate themselves on construction, so a scenario built in Python is held to
the same rules as one read from a file; codes stay codes here (they become indices only
in :mod:`truce.policy.compile`).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeAlias, TypeVar, cast

from truce._types import MODEL_NAMES, ModelName
from truce.errors import ScenarioError
from truce.policy._checks import (
    WILDCARD,
    Check,
    Invalid,
    Selection,
    check_amount,
    check_date,
    check_factor,
    check_flag,
    check_positive,
    check_product,
    check_rate,
    check_share,
    check_sigma,
    check_source,
    check_text,
    choice,
    codes,
    large_rate_reason,
)

Role: TypeAlias = Literal["importer", "exporter"]
"""Whom the ``by`` key of a measure names."""

_CHECK = "truce.check"


def checked(check: Check) -> dict[str, Check]:
    """Field metadata: a scenario file may set the field; ``check`` checks it."""
    return {_CHECK: check}


@functools.cache
def file_keys(cls: type) -> Mapping[str, dataclasses.Field[Any]]:
    """The fields of a spec class that a scenario file may set, in declaration order."""
    return MappingProxyType({f.name: f for f in dataclasses.fields(cls) if _CHECK in f.metadata})


def check_value(cls: type, key: str, value: object) -> Any:
    """Run the check of file key ``key`` of spec class ``cls`` on ``value``.

    Returns the clean value; raises :class:`~truce.policy._checks.Invalid`.
    """
    return file_keys(cls)[key].metadata[_CHECK](value)


def required_keys(cls: type) -> tuple[str, ...]:
    """The file keys of a spec class that have no default."""
    return tuple(
        name
        for name, f in file_keys(cls).items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )


def _normalise(obj: object, line_of: Callable[[str, int | None], int | None]) -> None:
    """Run every field check of ``obj`` in place, raising :class:`ScenarioError`.

    Fields are checked in the order of their lines in the file (when known), so that
    the first error reported is the first one in the file.
    """
    keys = file_keys(type(obj))
    order = sorted(keys, key=lambda name: line_of(name, None) or 1 << 62)
    for name in order:
        try:
            clean = keys[name].metadata[_CHECK](getattr(obj, name))
        except Invalid as exc:
            raise ScenarioError(exc.reason, line=line_of(name, exc.item), key=name) from None
        object.__setattr__(obj, name, clean)


@dataclass(frozen=True)
class SourceLines:
    """Where a measure's values stand in its file (1-based lines).

    ``values`` maps a key to the line of its value; ``items`` maps a key whose value is
    a list to the line of each element.
    """

    values: tuple[tuple[str, int], ...] = ()
    items: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def value(self, key: str) -> int | None:
        """The line of ``key``'s value, or ``None`` when unknown."""
        return dict(self.values).get(key)

    def item(self, key: str, item: int) -> int | None:
        """The line of element ``item`` of ``key``'s list value, or ``None``."""
        lines = dict(self.items).get(key, ())
        return lines[item] if 0 <= item < len(lines) else None


@dataclass(frozen=True, kw_only=True)
class Measure:
    """One policy measure: a wedge on the importer-exporter-sector cells it selects.

    ``by`` names the imposing region(s) (the importer or the exporter, see
    :attr:`by_role`); ``on`` the partner region(s), ``"*"`` meaning every region other
    than the ``by`` region; ``sectors`` the sectors; ``product`` narrows each sector
    ``S`` to its product sub-sector ``S.PRODUCT`` (see :mod:`truce.policy.compile`).
    The measure is in force on dates
    ``d`` with ``start <= d < end``; a missing bound is open.  ``index`` is the 0-based
    position in the scenario and ``line`` the 1-based line where the measure starts in
    its file (``None`` when it was built in Python).
    """

    kind: ClassVar[str] = ""
    """The name of this kind in a scenario file's ``kind`` key."""
    by_role: ClassVar[Role] = "importer"
    """Whether ``by`` is the importer or the exporter of the cells it touches."""

    by: Selection = field(metadata=checked(codes("region")))
    on: Selection = field(default=WILDCARD, metadata=checked(codes("region")))
    sectors: Selection = field(default=WILDCARD, metadata=checked(codes("sector")))
    product: str | None = field(default=None, metadata=checked(check_product))
    start: datetime.date | None = field(default=None, metadata=checked(check_date))
    end: datetime.date | None = field(default=None, metadata=checked(check_date))
    index: int = 0
    line: int | None = None
    source: SourceLines = field(default=SourceLines(), compare=False, repr=False)
    path: str | None = field(default=None, compare=False, repr=False)
    """The file the measure was read from when it is not its scenario's own (a base
    the scenario extends); ``None``: the scenario's file.  See :meth:`file_in`."""

    def __post_init__(self) -> None:
        """Check and normalise every field; check that the date range is not empty."""
        if not self.kind:
            raise TypeError("Measure is abstract: use a registered kind such as Tariff")
        _normalise(self, self.line_of)
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ScenarioError(
                f"the date range is empty: end {self.end} is not after start {self.start}",
                line=self.line_of("end"),
                key="end",
            )

    def line_of(self, key: str, item: int | None = None) -> int | None:
        """The best known line for ``key`` (or one element of its list value).

        Falls back to the line of the whole value, then to the line of the measure.
        """
        line = self.source.item(key, item) if item is not None else None
        if line is None:
            line = self.source.value(key)
        return self.line if line is None else line

    def file_in(self, scenario: Scenario) -> str | None:
        """The file whose lines :attr:`line` and :meth:`line_of` count: the measure's
        own (a base file), else ``scenario``'s."""
        return self.path or scenario.path

    def in_force(self, date: datetime.date | None) -> bool:
        """True iff ``start <= date < end``; with no date, every measure is in force."""
        if date is None:
            return True
        return (self.start is None or self.start <= date) and (self.end is None or date < self.end)


def _guard_large_rate(measure: Tariff | ExportTax) -> None:
    """A rate above :data:`~truce.policy._checks.MAX_RATE` without ``allow_large``
    is a ScenarioError at the rate's line."""
    reason = large_rate_reason(measure.rate)
    if reason is not None and not measure.allow_large:
        raise ScenarioError(reason, line=measure.line_of("rate"), key="rate")


_KINDS: dict[str, type[Measure]] = {}

MEASURE_KINDS: Mapping[str, type[Measure]] = MappingProxyType(_KINDS)
"""Every measure kind, by the name of its ``kind`` key (read-only view)."""

M = TypeVar("M", bound=type[Measure])


def register_measure(cls: M) -> M:
    """Class decorator: make a :class:`Measure` subclass available to scenario files."""
    if not cls.kind or cls.kind in _KINDS:
        raise ValueError(f"measure kind {cls.kind!r} is empty or already registered")
    _KINDS[cls.kind] = cls
    return cls


@register_measure
@dataclass(frozen=True, kw_only=True)
class Tariff(Measure):
    """An import tariff levied by importer(s) ``by`` on goods from exporter(s) ``on``.

    ``mode="add"`` adds ``rate`` to the world's own rate; ``mode="set"`` replaces the
    world's rate with ``rate``.  ``rate`` is ad valorem: 1.25 means 125%.
    """

    kind: ClassVar[str] = "tariff"
    by_role: ClassVar[Role] = "importer"

    rate: float = field(metadata=checked(check_rate))
    mode: Literal["add", "set"] = field(default="add", metadata=checked(choice("add", "set")))
    allow_large: bool = field(default=False, metadata=checked(check_flag))
    """A rate above 5 (500%) is an error unless this is true (a guard against 60 for 60%)."""

    def __post_init__(self) -> None:
        """The common checks, then the guard on large rates."""
        super().__post_init__()
        _guard_large_rate(self)


@register_measure
@dataclass(frozen=True, kw_only=True)
class TradeCost(Measure):
    """An iceberg trade-cost change on the cells importer(s) ``by`` buy from ``on``.

    ``factor`` multiplies the cost of delivering a unit: 1.02 means 2% higher.
    """

    kind: ClassVar[str] = "trade_cost"
    by_role: ClassVar[Role] = "importer"

    factor: float = field(metadata=checked(check_factor))


@register_measure
@dataclass(frozen=True, kw_only=True)
class ExportTax(Measure):
    """An export tax of exporter(s) ``by`` on their sales to destination(s) ``on``.

    ``rate`` is ad valorem on the producer-price value (0.3 = 30%); the revenue accrues
    to the exporter.  Export wedges on one cell compound, two taxes included:
    1 + e = (1 + t1)(1 + t2)(1 + e_cap).
    """

    kind: ClassVar[str] = "export_tax"
    by_role: ClassVar[Role] = "exporter"

    rate: float = field(metadata=checked(check_rate))
    allow_large: bool = field(default=False, metadata=checked(check_flag))
    """As for tariffs: a rate above 5 needs this."""

    def __post_init__(self) -> None:
        """The common checks, then the guard on large rates."""
        super().__post_init__()
        _guard_large_rate(self)


@register_measure
@dataclass(frozen=True, kw_only=True)
class ExportCap(Measure):
    """A quantity cap: exporter(s) ``by`` ship to ``on`` at most ``share`` of each covered
    cell's baseline quantity, cell by cell; ``share=0`` bans the flows.

    Solved with an endogenous export-tax equivalent per cell whose rent accrues to the
    exporter.  Where two caps cover one cell the tighter one binds.
    """

    kind: ClassVar[str] = "export_cap"
    by_role: ClassVar[Role] = "exporter"

    share: float = field(metadata=checked(check_share))


@register_measure
@dataclass(frozen=True, kw_only=True)
class ImportFloor(Measure):
    """A purchase commitment: importer(s) ``by`` buy at least ``value`` from ``on``.

    ``value`` is in the world's currency at baseline prices and bounds the summed
    quantity of all the measure's cells (one floor per measure); solved with an
    endogenous import-subsidy equivalent paid by the importer's government.
    """

    kind: ClassVar[str] = "import_floor"
    by_role: ClassVar[Role] = "importer"

    value: float = field(metadata=checked(check_positive))


@register_measure
@dataclass(frozen=True, kw_only=True)
class Capacity(Measure):
    """A capacity limit: each producer ``by`` makes at most ``share`` of its baseline
    output (quantity) of each covered sector, summed over every buyer, its own market
    included; ``on`` plays no part.  One limit per producer and sector, solved with an
    endogenous output-tax equivalent whose rent accrues to the producer.  Used for the
    expansion of critical inputs outside the country that controls them (1.1 = output
    may grow by 10%); where two limits cover a producer's sector the tighter binds.
    """

    kind: ClassVar[str] = "capacity"
    by_role: ClassVar[Role] = "exporter"

    share: float = field(metadata=checked(check_positive))


@register_measure
@dataclass(frozen=True, kw_only=True)
class PortFee(Measure):
    """Port fees that port state ``by`` charges on vessels carrying goods from ``on``.

    The fee becomes an iceberg trade-cost factor on the covered cells,
    :attr:`cost_factor` = 1 + ``fee_per_net_ton`` × ``net_tons_per_million`` ×
    ``affected_share`` / 10⁶, from three stated assumptions: the fee in US$ per net ton
    of the vessel, the vessel's net tons per US$ million of cargo value it carries, and
    the share of the flows carried on the vessels that pay.  US$ per net ton times net
    tons per US$ million is US$ per US$ million of cargo: the 10⁶ makes it ad valorem,
    so the factor does not depend on the world's currency.  The fee is a resource cost
    (no revenue is counted for the port state), and the factor multiplies with
    ``trade_cost`` factors.

    Example (facts file us-china-measures.md §6, docs/sources.md): from 14 October
    2025 the US charged
    Chinese-owned or -operated vessels US$50 per net ton (suspended for a year from 10
    November 2025), and China charged US-linked vessels RMB 400 (about US$56) per net
    ton over the same dates.  With an assumed 150 net tons per US$ million of cargo
    unloaded per call (illustrative only: the facts file gives no such figure) and 40%
    of the flows on such vessels, the US fee is a factor of
    1 + 50 × 150 × 0.4 / 10⁶ = 1.003::

        - kind: port_fee
          by: USA
          on: CHN
          fee_per_net_ton: 50
          net_tons_per_million: 150    # an assumption, not a fact
          affected_share: 0.4          # an assumption, not a fact
          start: 2025-10-14
          end: 2025-11-10
    """

    kind: ClassVar[str] = "port_fee"
    by_role: ClassVar[Role] = "importer"

    fee_per_net_ton: float = field(metadata=checked(check_amount))
    net_tons_per_million: float = field(metadata=checked(check_positive))
    affected_share: float = field(metadata=checked(check_share))

    @property
    def cost_factor(self) -> float:
        """The iceberg trade-cost factor the fee makes on each covered cell."""
        ad_valorem = self.fee_per_net_ton * self.net_tons_per_million * self.affected_share
        return 1.0 + ad_valorem / 1e6


#: The models a scenario may choose with ``options: {model: ...}``.
MODELS: tuple[str, ...] = MODEL_NAMES


@dataclass(frozen=True)
class Options:
    """Scenario-wide options (the ``options`` mapping of a scenario file).

    ``deficits="fixed"`` holds trade deficits at their share of world income;
    ``"zero"`` closes them first (the caller does that, not the compiler).  Add an
    option by adding a field with :func:`checked` metadata and a default.
    """

    deficits: Literal["fixed", "zero"] = field(
        default="fixed", metadata=checked(choice("fixed", "zero"))
    )
    model: ModelName | None = field(default=None, metadata=checked(choice(*MODELS, optional=True)))
    """The model to solve with; ``None``: the world's own (``caliendo-parro`` by default)."""
    rebate: Literal["income_tax", "lump_sum"] | None = field(
        default=None, metadata=checked(choice("income_tax", "lump_sum", optional=True))
    )
    """How tariff revenue returns to households (``ilms2025``: ``income_tax`` by default;
    ``caliendo-parro`` rebates it lump-sum)."""
    elasticities: str | None = field(default=None, metadata=checked(check_source))
    """The trade elasticities to solve with: a source of the world's ``elasticities``
    table, or ``all`` (every source, beside the point result); ``None``: the world's
    own."""
    critical_sigma: float | None = field(default=None, metadata=checked(check_sigma))
    """The elasticity of substitution between critical inputs and the rest of their
    users' costs (docs/models/caliendo-parro.md); ``None``: the world's (after the
    product split, the catalogue's)."""
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    """The line of each option's value in the scenario file, where known."""
    paths: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """The file of each option taken from a base the scenario extends."""

    def __post_init__(self) -> None:
        """Check and normalise every option."""
        _normalise(self, lambda key, _item: self.lines.get(key))

    def line_of(self, key: str) -> int | None:
        """The line of option ``key``'s value in the file, if known."""
        return self.lines.get(key)

    def path_of(self, key: str, own: str | None) -> str | None:
        """The file option ``key`` was read from: a base's, else ``own`` (the
        scenario's)."""
        return self.paths.get(key, own)


@dataclass(frozen=True)
class Scenario:
    """A named set of measures to apply to a world.

    ``world`` is an optional built-in world name or folder path; ``as_of`` the date whose
    state the scenario describes (an undated run of a dated scenario solves that day;
    see :attr:`dated`); ``path`` and ``text`` record where the scenario was read from and
    its raw text (for reports), and do not take part in comparisons.  Measures are
    renumbered so that each one's ``index`` is its position in :attr:`measures`.
    """

    name: str
    description: str = ""
    world: str | None = None
    options: Options = field(default_factory=Options)
    measures: tuple[Measure, ...] = ()
    as_of: datetime.date | None = None
    path: str | None = field(default=None, compare=False)
    text: str | None = field(default=None, compare=False, repr=False)
    as_of_line: int | None = field(default=None, compare=False, repr=False)
    world_at: tuple[str | None, int] | None = field(default=None, compare=False, repr=False)
    """The file and line of the ``world`` key (a base's, when inherited)."""
    """The line of the ``as_of`` key in the file, when read from one."""
    extends: str | None = field(default=None, compare=False)
    """The name of the scenario this one extends (its measures come first), if any."""
    phase_names: tuple[tuple[datetime.date | None, str], ...] = ()
    """Names of the phases of a dated scenario (its ``phases`` key): (start date, name)
    pairs, ``None`` for the phase before the first date (see
    :mod:`truce.timeline.calendar`)."""

    @property
    def dated(self) -> bool:
        """True when any measure has a start or an end date: the measures in force then
        depend on the day, and a run needs one (``as_of``, or a date of its own)."""
        return any(m.start is not None or m.end is not None for m in self.measures)

    def __post_init__(self) -> None:
        """Check the scalar fields and the measures; number the measures."""
        for key, value in (("name", self.name), ("world", self.world)):
            if key == "name" or value is not None:
                try:
                    check_text(value)
                except Invalid as exc:
                    raise ScenarioError(exc.reason, path=self.path, key=key) from None
        if not isinstance(self.description, str):
            raise ScenarioError("must be a string", path=self.path, key="description")
        try:
            object.__setattr__(self, "as_of", check_date(self.as_of))
        except Invalid as exc:
            raise ScenarioError(exc.reason, path=self.path, key="as_of") from None
        if not isinstance(self.options, Options):
            raise ScenarioError("must be an Options", path=self.path, key="options")
        measures = _as_measures(self.measures, self.path)
        object.__setattr__(
            self,
            "measures",
            tuple(
                m if m.index == i else dataclasses.replace(m, index=i)
                for i, m in enumerate(measures)
            ),
        )


def _as_measures(measures: Iterable[object], path: str | None) -> tuple[Measure, ...]:
    if isinstance(measures, str | bytes) or not isinstance(measures, Iterable):
        raise ScenarioError("must be a sequence of measures", path=path, key="measures")
    items = tuple(measures)
    for item in items:
        if not isinstance(item, Measure):
            raise ScenarioError(
                f"{type(item).__name__} is not a measure", path=path, key="measures"
            )
    return cast(tuple[Measure, ...], items)
