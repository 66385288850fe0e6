"""The JSON writer of the gate's documents: the standard library's text, faster."""

from __future__ import annotations

import json

import pytest

from gate.jsontext import compact, pretty

DOC = {
    "z": 'quo"te \\ back\nnew\ttab \u0000\u001f\u007f \u2028\u0085 ünïcödé 𝄞 </script>',
    "a": [[], {}, [1, -2, 3.5, 0.1, True, False, None], {"nested": {"deeper": ["x"]}}],
    "m": {"b": 1, "a": 2, "": "empty key", "ключ": "значение"},
    "n": 2**63 - 1,
}


@pytest.mark.parametrize("sort_keys", [False, True])
def test_pretty_is_the_standard_librarys_indented_text(sort_keys: bool) -> None:
    assert pretty(DOC, sort_keys=sort_keys) == json.dumps(
        DOC, indent=2, ensure_ascii=False, sort_keys=sort_keys
    )


def test_what_orjson_does_not_write_goes_to_the_standard_library() -> None:
    big = {"big": 2**70, "x": [1]}
    assert pretty(big) == json.dumps(big, indent=2, ensure_ascii=False)
    odd_keys = {1: "int key"}
    assert pretty(odd_keys) == json.dumps(odd_keys, indent=2, ensure_ascii=False)
    assert json.loads(compact(big)) == big


def test_compact_is_parseable_and_canonical_with_sorted_keys() -> None:
    text = compact(DOC, sort_keys=True)
    assert json.loads(text) == DOC
    assert text == compact(dict(reversed(list(DOC.items()))), sort_keys=True)
    assert b" " not in compact({"a": [1, 2], "b": {"c": None}})
