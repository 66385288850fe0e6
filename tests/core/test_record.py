"""Data classes on :class:`gate.record.Record` show the repr that ``dataclass`` would have generated."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import gate
from gate.model import Component, Hash, Location, Source
from gate.record import Record


def _generated_repr(obj: object) -> str:
    cls = type(obj)
    twin = dataclasses.make_dataclass(
        cls.__name__,
        [(f.name, f.type, f) for f in dataclasses.fields(cls)],  # type: ignore[arg-type]
        repr=True,
    )
    twin.__qualname__ = cls.__qualname__
    return repr(twin(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(cls) if f.init}))  # type: ignore[arg-type]


def test_record_repr_is_the_generated_one() -> None:
    samples = [
        Location("uv.lock", 3),
        Hash("sha256", "ab" * 32),
        Source("git", "https://example.invalid/x.git"),
        Component(
            ref="pkg:pypi/x@1", name="x", version="1", ecosystem="pypi", hashes=(Hash("sha256", "cd" * 32),)
        ),
    ]
    for obj in samples:
        assert repr(obj) == _generated_repr(obj)


def test_every_gate_data_class_is_a_record() -> None:
    found = []
    for info in pkgutil.walk_packages(gate.__path__, "gate."):
        if info.name.endswith("__main__"):  # runs the CLI
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
            ):
                found.append(value)
                assert issubclass(value, Record), value
                assert value.__repr__ is Record.__repr__ or "__repr__" in vars(value), value
    assert len(found) > 50
