"""World folders: reading, checking, writing, and calibrating them into a Baseline."""

from truce._lazy import lazy_exports

#: Public name -> the module that defines it (each loaded on first use).
_PUBLIC = {
    "world_to_baseline": "truce.data.calibrate",
    "World": "truce.data.world",
    "builtin_worlds": "truce.data.world",
    "check_world": "truce.data.world",
    "content_hash": "truce.data.world",
    "load_world": "truce.data.world",
    "read_world": "truce.data.world",
    "write_world": "truce.data.world",
}

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)

__all__ = [
    "World",
    "builtin_worlds",
    "check_world",
    "content_hash",
    "load_world",
    "read_world",
    "world_to_baseline",
    "write_world",
]
