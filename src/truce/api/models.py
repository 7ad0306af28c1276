"""Which model a run uses, whether the model fits the world and the scenario, and the
model's calibration to a world (computed once per world and kept)."""

from __future__ import annotations

from datetime import date as Date

from truce.api._cache import LruCache
from truce.api.defaults import MODEL_NAME
from truce.data.world import World, content_hash
from truce.errors import ScenarioError, WorldError
from truce.model.baseline import Baseline
from truce.model.interface import Calibration, TradeModel
from truce.model.registry import get_model, model_names
from truce.policy.compile import in_force
from truce.policy.spec import Scenario

#: Calibrations kept (least recently used go first).
CALIBRATIONS = 4
_CALIBRATIONS: LruCache[Calibration] = LruCache(CALIBRATIONS)


def _named(name: str) -> TradeModel:
    try:
        return get_model(name)
    except KeyError:
        raise ScenarioError(
            f"unknown model {name!r}: the models are {', '.join(model_names())}"
        ) from None


def choose_model(world: World, scenario: Scenario, model: str | None = None) -> TradeModel:
    """The model a run uses: ``model`` (``--model``) if given, else the scenario's
    ``options.model``, else the world's ``model``, else :data:`MODEL_NAME`.

    Raises :class:`ScenarioError` for an unknown model, or at the option's line for a
    rebate rule the model lacks or ``deficits: zero`` in a model that cannot close
    deficits.
    """
    chosen = _named(model or scenario.options.model or world.model or MODEL_NAME)
    options = scenario.options
    if options.rebate is not None and options.rebate not in chosen.rebates:
        others = [m for m in model_names() if options.rebate in get_model(m).rebates]
        raise ScenarioError(
            f"the {chosen.name} model rebates tariff revenue {' or '.join(chosen.rebates)}; "
            f"the {options.rebate} rebate is in the {' and '.join(others)} model",
            path=options.path_of("rebate", scenario.path),
            line=options.line_of("rebate"),
            key="rebate",
        )
    if options.deficits == "zero" and not chosen.closes_deficits:
        others = [m for m in model_names() if get_model(m).closes_deficits]
        raise ScenarioError(
            f"the {chosen.name} model keeps its transfers (deficits: fixed); deficits: zero "
            f"is a {' and '.join(others)} option",
            path=options.path_of("deficits", scenario.path),
            line=options.line_of("deficits"),
            key="deficits",
        )
    return chosen


def model_for(world: World, scenario: Scenario, model: str | None = None) -> str:
    """The name of the model a run uses (see :func:`choose_model`)."""
    return choose_model(world, scenario, model).name


def rebate_of(model: TradeModel, scenario: Scenario) -> str:
    """How ``model`` returns tariff revenue in ``scenario``: its rule, else the model's
    default (the income tax in ilms2025, the paper's case 1)."""
    return scenario.options.rebate or model.rebates[0]


def check_fit(
    model: TradeModel,
    world: World,
    baseline: Baseline,
    scenario: Scenario | None = None,
    asked: str | None = None,
) -> None:
    """An error when ``model`` cannot run on ``world``: a :class:`ScenarioError` at the
    option's line when ``scenario``'s ``options.model`` chose it (no model ``asked``
    for by the run), else a :class:`WorldError` naming the world."""
    reason = model.unfit(baseline)
    if reason is None:
        return
    where = str(world.path) if world.path is not None else world.name
    options = scenario.options if scenario is not None else None
    if options is not None and asked is None and options.model is not None:
        raise ScenarioError(
            f"world {world.name}: {reason}",
            path=options.path_of("model", scenario.path if scenario else None),
            line=options.line_of("model"),
            key="model",
        )
    raise WorldError(f"{where}: {reason}")


def check_measures(model: TradeModel, scenario: Scenario, date: Date | None) -> None:
    """A :class:`ScenarioError` at the first measure in force that ``model`` lacks."""
    for measure in in_force(scenario, date):
        if measure.kind not in model.measure_kinds:
            others = [m for m in model_names() if measure.kind in get_model(m).measure_kinds]
            raise ScenarioError(
                f"measures of kind {measure.kind} are not in the {model.name} model (it has "
                f"{', '.join(sorted(model.measure_kinds))} only); solve with the "
                f"{' or '.join(others)} model",
                path=measure.file_in(scenario),
                line=measure.line_of("kind"),
                key="kind",
            )


def calibration(
    model: TradeModel, world: World, baseline: Baseline, rebate: str
) -> tuple[Calibration, bool]:
    """``model`` calibrated to ``world`` (whose baseline is ``baseline``) for ``rebate``,
    and whether it was computed just now; kept for later runs on the same world."""
    check_fit(model, world, baseline)
    key = (content_hash(world), type(model), model.name, rebate)
    return _CALIBRATIONS.get_or_make(key, lambda: model.calibrate(baseline, rebate=rebate))
