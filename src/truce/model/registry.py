"""The models a run can use, found by name (docs/adding-a-model.md).

The built-in models are registered here; another model is a final subclass of
:class:`~truce.model.interface.TradeModel` passed to :func:`register_model`, after which
``truce.run(world, scenario, model=NAME)`` solves with it.
"""

from __future__ import annotations

from truce._types import MODEL_NAMES
from truce.model.caliendo_parro import CaliendoParro
from truce.model.ilms2025 import Ilms2025
from truce.model.interface import TradeModel

_MODELS: dict[str, TradeModel] = {}


def register_model(model: TradeModel) -> None:
    """Make ``model`` available under ``model.name``; a name taken by another model is
    a ``ValueError`` (unregister it first)."""
    held = _MODELS.get(model.name)
    if held is not None and held is not model:
        raise ValueError(f"a model named {model.name!r} is registered already")
    _MODELS[model.name] = model


def unregister_model(name: str) -> None:
    """Forget the model ``name`` (a built-in model cannot be removed)."""
    if name in MODEL_NAMES:
        raise ValueError(f"{name!r} is a built-in model")
    _MODELS.pop(name, None)


def get_model(name: str) -> TradeModel:
    """The model registered as ``name``; a ``KeyError`` for an unknown name."""
    return _MODELS[name]


def model_names() -> tuple[str, ...]:
    """Every registered model's name, the built-in ones first (the default first)."""
    return tuple(_MODELS)


register_model(CaliendoParro())
register_model(Ilms2025())
