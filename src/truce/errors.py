"""One home for truce's exceptions and warnings.

Every error a user can trigger derives from :class:`TruceError`.  The command line maps
:class:`InputError` subclasses (bad worlds, bad scenarios) to exit code 2 and
:class:`ModelError` subclasses (the model failed) to exit code 1.
"""

from __future__ import annotations


class TruceError(Exception):
    """Root of every error raised by truce."""


class InputError(TruceError):
    """The user's input (a world folder, a scenario, an option) is wrong."""


class WorldError(InputError):
    """A world folder is missing, malformed or fails its accounting identities."""


class LocatedInputError(InputError):
    """Bad input whose place in a file is known: ``PATH:LINE: key KEY: what is wrong``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.reason = message
        super().__init__(format_location(message, path=path, line=line, key=key))


class ScenarioError(LocatedInputError):
    """A scenario file or specification is invalid.

    The message reads ``PATH:LINE: key KEY: what is wrong`` whenever the location is known.
    """


class SweepError(ScenarioError):
    """A sweep spec (a grid or list of scenarios for ``truce sweep``) is invalid.

    The message reads ``PATH:LINE: key KEY: what is wrong``, like a scenario's.
    """


def format_location(message: str, *, path: str | None, line: int | None, key: str | None) -> str:
    """Format ``PATH:LINE: key KEY: message``, leaving out the parts that are unknown."""
    prefix = ""
    if path is not None:
        prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    elif line is not None:
        prefix = f"line {line}: "
    if key is not None:
        prefix += f"key {key}: "
    return prefix + message


class OutputError(InputError):
    """An output file cannot be written where the user asked (a folder, no permission)."""


class StoreError(InputError):
    """The run store has no such run, or cannot be read or written where it is."""


class ModelError(TruceError):
    """The model could not produce an answer."""


class NonConvergenceError(ModelError):
    """The equilibrium solver stopped without meeting its tolerance.

    Attributes carry the solver's statistics so that callers can report them.
    """

    def __init__(
        self, message: str, *, iterations: int, residual: float, reached: float | None = None
    ) -> None:
        self.iterations = iterations
        self.residual = residual
        self.reached = reached
        """The share of the shock solved by continuation (None: none was tried)."""
        super().__init__(message)
