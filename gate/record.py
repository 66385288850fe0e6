"""The base of the gate's data classes.

They are declared ``@dataclass(..., repr=False)`` on :class:`Record`, whose ``__repr__`` gives the text the
generated one would, built from the fields when called. ``dataclass`` writes each generated method as
source and ``exec``-utes it when the module loads; the ``repr`` was one of five or six per class, and a
``gate check`` loads some fifty of these classes on every run.
"""

from __future__ import annotations

import dataclasses


class Record:
    __slots__ = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{type(self).__qualname__}({shown})"
