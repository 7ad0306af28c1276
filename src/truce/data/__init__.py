"""World folders: reading, checking, writing, and calibrating them into a Baseline."""

from truce.data.calibrate import world_to_baseline as world_to_baseline
from truce.data.world import World as World
from truce.data.world import builtin_worlds as builtin_worlds
from truce.data.world import check_world as check_world
from truce.data.world import content_hash as content_hash
from truce.data.world import load_world as load_world
from truce.data.world import read_world as read_world
from truce.data.world import write_world as write_world

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
