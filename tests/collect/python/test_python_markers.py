"""PEP 508 markers as environment sets: what the uv export equivalence rests on."""

from __future__ import annotations

import pytest

from gate.collect.python.markers import (
    EnvironmentGrid,
    MarkerSyntaxError,
    names_in,
    parse_marker,
    possibly_true,
)


def satisfiable(*markers: str) -> bool:
    grid = EnvironmentGrid(markers)
    mask = grid.all
    for m in markers:
        mask &= grid.mask(m)
    return mask != 0


@pytest.mark.parametrize(
    ("markers", "expected"),
    [
        (("sys_platform == 'win32'", "sys_platform == 'linux'"), False),
        (("sys_platform == 'win32'", "sys_platform != 'linux'"), True),
        (("python_full_version >= '3.12'", "python_full_version < '3.11'"), False),
        (("python_full_version >= '3.12'", "python_version < '3.13'"), True),
        (("python_version == '3.12'", "python_full_version == '3.12.*'"), True),
        (("python_full_version == '3.11.*'", "python_full_version >= '3.12'"), False),
        (("python_full_version < '3.11.4'", "python_version == '3.11'"), True),
        (("'linux' in sys_platform", "sys_platform == 'darwin'"), False),
        (
            ("platform_machine == 'x86_64' or platform_machine == 'arm64'", "platform_machine == 'arm64'"),
            True,
        ),
        (
            (
                "(sys_platform == 'win32' and python_version < '3.11') or sys_platform == 'linux'",
                "sys_platform != 'linux'",
                "python_version >= '3.11'",
            ),
            False,
        ),
        (("implementation_name != 'PyPy'", "platform_python_implementation != 'PyPy'"), True),
        # Variables outside the grid (extras, uv conflict markers) are possibly true.
        (("extra == 'cpu'", "extra == 'gpu'"), True),
        # A marker that does not parse is possibly true.
        (("sys_platform === ", "sys_platform == 'linux'"), True),
    ],
)
def test_satisfiability(markers: tuple[str, ...], expected: bool) -> None:
    assert satisfiable(*markers) is expected


def test_parse_limits() -> None:
    with pytest.raises(MarkerSyntaxError):
        parse_marker("(" * 100 + "os_name == 'nt'" + ")" * 100)
    with pytest.raises(MarkerSyntaxError):
        parse_marker("os_name == 'nt' " + "and os_name == 'nt' " * 1000)
    tree = parse_marker("os.name == 'nt' and ('x' in extras)")
    assert tree[0] == "and"  # type: ignore[index]


def test_groups_and_extras_helpers() -> None:
    marker = "'dev' in dependency_groups or 'cli' in extras"
    assert names_in(marker, "dependency_groups") == {"dev"}
    assert names_in(marker, "extras") == {"cli"}

    def decide_no_groups(leaf):  # type: ignore[no-untyped-def]
        return False if leaf.right in ("dependency_groups", "extras") else None

    assert possibly_true(marker, decide_no_groups) is False
    assert possibly_true("sys_platform == 'win32'", decide_no_groups) is True
    assert possibly_true(None, decide_no_groups) is True
