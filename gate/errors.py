"""The one error hierarchy of the gate.

Every error a user can see derives from :class:`GateError` and carries a one-line diagnostic. The CLI
catches ``GateError`` in one place and exits 2 ("could not evaluate"); anything else is a bug and is still
reported in one line (with the traceback only under ``GATE_DEBUG=1``).

A failed *check* is never an exception: it is data that policy judges. Exceptions mean "could not evaluate".
"""

from __future__ import annotations

from pathlib import Path


class GateError(Exception):
    """Base of every user-facing error."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None

    def diagnostics(self) -> str:
        """One line naming the file (when there is one) and the problem."""
        text = " ".join(self.message.split())
        if self.path:
            return f"{self.path}: {text}"
        return text


class InputError(GateError):
    """A file we were asked to read is malformed, too large, too deep, hostile or missing."""


class UsageError(GateError):
    """The command line or configuration is wrong."""


class ConfigError(GateError):
    """The gate's own configuration (``[tool.gate]``, ``gate.toml``) is invalid."""


class PolicyError(GateError):
    """Policies could not be loaded or evaluated (engine crash, timeout, syntax error)."""


class NetworkError(GateError):
    """A network operation the user asked for failed."""
