"""Small text utilities over Rego source, shared by the linter, the test runner and the worker (standard
library only: the worker imports this)."""

from __future__ import annotations


def blank_strings_and_comments(text: str) -> str:
    """The source with string contents and comments replaced by spaces (offsets and lines preserved)."""
    out = list(text)
    i = 0
    while i < len(text):
        c = text[i]
        if c == "#":
            while i < len(text) and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        if c in '"`':
            quote = c
            i += 1
            while i < len(text) and text[i] != quote and not (quote == '"' and text[i] == "\n"):
                if quote == '"' and text[i] == "\\" and i + 1 < len(text):
                    out[i] = out[i + 1] = " "
                    i += 2
                    continue
                out[i] = " "
                i += 1
            i += 1
            continue
        i += 1
    return "".join(out)
