# ruff: noqa: RUF001  (the confusables table and tests hold look-alike letters on purpose)
"""What the model sees versus what a person sees: normalisation of one text field of a tool definition.

A description can carry text that a reviewer never sees in a UI but that reaches the model verbatim:
Unicode tag characters (an invisible copy of ASCII), bidi controls (text shown reversed), zero-width and
other invisible characters, homoglyphs (Cyrillic or Greek letters that look Latin), HTML and Markdown
comments, long whitespace runs that push text out of view, ANSI escapes (concealed terminal text), and
base64/hex payloads. :func:`normalise` returns the text the detectors read (with homoglyphs folded and
hidden parts decoded), the hidden segments with their decoded text (shown as evidence), and the
obfuscation findings themselves.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, field

from gate.record import Record

# Only this much of a field is analysed; the rest is reported as oversized (a context-flooding attempt).
MAX_ANALYSED_CHARS = 256 * 1024
OVERSIZED_CHARS = 64 * 1024

TAG_RANGE = (0xE0000, 0xE007F)
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
ZERO_WIDTH = frozenset(
    "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0"
    "\u17b4\u17b5\u2028\u2029"
)
VARIATION_SELECTORS = frozenset(chr(c) for c in range(0xFE00, 0xFE10))
ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)|[@-Z\\-_])")
HTML_COMMENT_RE = re.compile(r"<!--(.{0,20000}?)(?:-->|$)", re.S)
MD_COMMENT_RE = re.compile(r"^\s{0,3}\[(?://|comment|_)?\]:\s*#\s*[(\"'](.{0,4000}?)[)\"']\s*$", re.M | re.I)
HIDDEN_TAG_RE = re.compile(
    r"<\s*(important|secret|hidden|system|instructions?|instruction|admin|assistant|ai|llm|note|context|"
    r"sys|internal|private|override|directive|do[-_ ]not[-_ ]show)\b[^>]{0,200}>(.{0,20000}?)(?:<\s*/\s*\1\s*>|$)",
    re.S | re.I,
)
WHITESPACE_RUN_RE = re.compile(r"(?:[ \t\u00a0\u2000-\u200a\u3000]{40,}|(?:[ \t]*\n){8,})(?=\S)")
B64_RE = re.compile(r"(?<![A-Za-z0-9+/_-])([A-Za-z0-9+/_-]{20,}={0,2})(?![A-Za-z0-9+/=_-])")
HEX_RE = re.compile(r"(?<![0-9A-Za-z])((?:[0-9A-Fa-f]{2}){12,})(?![0-9A-Za-z])")
ESCAPED_RE = re.compile(r"(?:\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|%[0-9a-fA-F]{2}){6,}")

# Letters from other scripts that look like Latin letters (Unicode confusables, the common subset).
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ɡ": "g", "һ": "h",
    "ԛ": "q", "ԝ": "w", "ү": "y", "ӏ": "l", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ԁ": "D",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "υ": "u", "ι": "i", "κ": "k", "τ": "t", "χ": "x", "ϲ": "c",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Armenian, Cherokee and others seen in the wild
    "օ": "o", "ս": "u", "ց": "g", "հ": "h", "ո": "n", "Ꭺ": "A", "Ꮯ": "C", "Ꭼ": "E", "Ꮋ": "H", "Ꮪ": "S",
}  # fmt: skip
_WORD_RE = re.compile(r"\w+", re.U)
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, repr=False)
class Obfuscation(Record):
    """A hiding technique found in the text (becomes a finding)."""

    detector: str
    severity: str
    span: str
    explanation: str
    decoded: str | None = None
    start: int | None = None


@dataclass(frozen=True, repr=False)
class Hidden(Record):
    """A part of the text a person would not see (or not read as text), decoded."""

    technique: str
    text: str
    start: int | None = None


@dataclass(repr=False)
class Normalised(Record):
    original: str
    text: str  # what the detectors read: invisible characters removed, homoglyphs folded, NFKC
    hidden: list[Hidden] = field(default_factory=list)
    obfuscations: list[Obfuscation] = field(default_factory=list)
    truncated: bool = False


def _printable_ratio(s: str) -> float:
    if not s:
        return 0.0
    good = sum(1 for ch in s if ch.isprintable() or ch in "\n\t\r")
    return good / len(s)


def _looks_like_text(s: str) -> bool:
    """Decoded bytes that read as words (not random bytes, not a digest)."""
    if len(s) < 6 or _printable_ratio(s) < 0.95:
        return False
    letters = sum(ch.isalpha() for ch in s)
    separators = sum(ch in " /:.|&;=-_" for ch in s)
    return letters / len(s) > 0.2 and separators >= 1


def decode_b64(token: str) -> str | None:
    raw = token.replace("-", "+").replace("_", "/")
    if len(raw) % 4 == 1 or raw.isdigit() or (raw.isalpha() and (raw.islower() or raw.isupper())):
        return None
    try:
        data = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _looks_like_text(text) else None


def decode_hex(token: str) -> str | None:
    try:
        text = bytes.fromhex(token).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return text if _looks_like_text(text) else None


def decode_escapes(token: str) -> str | None:
    def one(m: re.Match[str]) -> str:
        s = m.group(0)
        if s.startswith("%"):
            return chr(int(s[1:], 16))
        return chr(int(s[2:], 16))

    text = re.sub(r"\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|%[0-9a-fA-F]{2}", one, token)
    return text if _looks_like_text(text) else None


def _is_emoji_context(text: str, i: int) -> bool:
    """ZWJ and VS16 inside emoji sequences are ordinary; elsewhere they hide things."""
    prev = text[i - 1] if i > 0 else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""

    def emojiish(ch: str) -> bool:
        return bool(ch) and (
            unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF or ch in VARIATION_SELECTORS
        )

    return emojiish(prev) and (text[i] in VARIATION_SELECTORS or emojiish(nxt) or not nxt)


def _visible_sample(s: str, limit: int = 160) -> str:
    s = s.replace("\n", " ")
    return s if len(s) <= limit else s[:limit] + "..."


def normalise(original: str) -> Normalised:
    truncated = len(original) > MAX_ANALYSED_CHARS
    text = original[:MAX_ANALYSED_CHARS] if truncated else original
    out = Normalised(original=original, text="", truncated=truncated)
    if len(original) > OVERSIZED_CHARS:
        out.obfuscations.append(
            Obfuscation(
                "oversized-field",
                "high",
                f"{len(original)} characters",
                "The field is far longer than any tool needs; text this long floods the model's context and "
                "hides instructions no reviewer reads"
                + (" (only the first 256 KiB was analysed)" if truncated else ""),
            )
        )

    # 1. ANSI escapes: removed; text after a "conceal" (SGR 8) is hidden.
    if "\x1b" in text:
        spans = list(ANSI_RE.finditer(text))
        if spans:
            conceal = any(re.search(r"\[(?:\d+;)*8(?:;\d+)*m", m.group(0)) for m in spans)
            stripped = ANSI_RE.sub("", text)
            out.obfuscations.append(
                Obfuscation(
                    "ansi-escape",
                    "high",
                    repr(spans[0].group(0)),
                    "ANSI terminal escape sequences: a terminal renders them as formatting or hides text"
                    + (" (concealed text)" if conceal else "")
                    + "; the model reads everything",
                    decoded=_visible_sample(stripped),
                    start=spans[0].start(),
                )
            )
            out.hidden.append(Hidden("ansi-escape", stripped, spans[0].start()))
            text = stripped

    # 2. Invisible code points: tags (decoded), bidi controls, zero-width, private use. Plain printable ASCII
    # (most descriptions) cannot hold any of them.
    if text.isascii() and not _ASCII_CONTROL_RE.search(text):
        return _finish(out, text)
    tags: list[str] = []
    bidi: list[int] = []
    invisible: list[int] = []
    private: list[int] = []
    kept: list[str] = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if TAG_RANGE[0] <= cp <= TAG_RANGE[1]:
            if 0xE0020 <= cp <= 0xE007E:
                tags.append(chr(cp - 0xE0000))
            continue
        if ch in BIDI:
            bidi.append(i)
            continue
        if ch in ZERO_WIDTH or (ch in VARIATION_SELECTORS and not _is_emoji_context(text, i)):
            if ch == "\u200d" and _is_emoji_context(text, i):
                kept.append(ch)
                continue
            invisible.append(i)
            continue
        if 0xE0100 <= cp <= 0xE01EF:
            invisible.append(i)
            continue
        if 0xE000 <= cp <= 0xF8FF or 0xF0000 <= cp <= 0x10FFFF:
            private.append(i)
            continue
        if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t":
            invisible.append(i)
            continue
        kept.append(ch)
    if tags:
        decoded = "".join(tags)
        out.obfuscations.append(
            Obfuscation(
                "unicode-tags",
                "critical",
                f"{len(tags)} tag characters",
                "Unicode tag characters are invisible in every UI but spell text the model reads",
                decoded=decoded,
            )
        )
        out.hidden.append(Hidden("unicode-tags", decoded))
    if bidi:
        segment = text[bidi[0] : bidi[0] + 80]
        shown = "".join(ch for ch in segment if ch not in BIDI)
        out.obfuscations.append(
            Obfuscation(
                "bidi-control",
                "high",
                repr(segment[:40]),
                f"{len(bidi)} bidirectional control character(s): the text is displayed in a different order "
                "than the model reads it",
                decoded=shown[::-1] if "\u202e" in segment else shown,
                start=bidi[0],
            )
        )
        if "\u202e" in segment:
            out.hidden.append(Hidden("bidi-reversed", shown[::-1], bidi[0]))
    if invisible:
        out.obfuscations.append(
            Obfuscation(
                "invisible-characters",
                "high",
                ", ".join(sorted({f"U+{ord(text[i]):04X}" for i in invisible})[:6]),
                f"{len(invisible)} zero-width or invisible character(s): a reviewer cannot see them; they split "
                "words past filters or carry data",
                start=invisible[0],
            )
        )
    if private:
        out.obfuscations.append(
            Obfuscation(
                "invisible-characters",
                "high",
                ", ".join(sorted({f"U+{ord(text[i]):04X}" for i in private})[:6]),
                f"{len(private)} private-use character(s): rendered as nothing or a box, meaningful only to "
                "whoever planted them",
                start=private[0],
            )
        )
    text = "".join(kept)

    return _finish(out, text)


def _finish(out: Normalised, text: str) -> Normalised:
    # 3. Compatibility forms (fullwidth, mathematical letters) and homoglyphs.
    nfkc = unicodedata.normalize("NFKC", text)
    if nfkc != text:
        changed = [ch for ch in text if unicodedata.normalize("NFKC", ch) != ch and ord(ch) > 0xFF]
        styled = [ch for ch in changed if 0xFF01 <= ord(ch) <= 0xFF5E or 0x1D400 <= ord(ch) <= 0x1D7FF]
        if len(styled) >= 3:
            out.obfuscations.append(
                Obfuscation(
                    "compatibility-characters",
                    "medium",
                    "".join(styled[:20]),
                    "fullwidth or mathematical letters that spell ordinary words past text filters",
                    decoded=_visible_sample(nfkc),
                )
            )
        text = nfkc
    mixed: list[str] = []
    if any(ord(ch) > 0x7F for ch in text):
        for m in _WORD_RE.finditer(text):
            w = m.group(0)
            if any(ch in CONFUSABLES for ch in w) and any("a" <= ch.lower() <= "z" for ch in w):
                mixed.append(w)
        if mixed:
            folded = "".join(CONFUSABLES.get(ch, ch) for ch in text)
            out.obfuscations.append(
                Obfuscation(
                    "homoglyph",
                    "high",
                    ", ".join(mixed[:5]),
                    "words mixing Latin letters with look-alike Cyrillic/Greek letters: they read as "
                    "ordinary words but defeat filters and reviewers' searches",
                    decoded=", ".join("".join(CONFUSABLES.get(ch, ch) for ch in w) for w in mixed[:5]),
                )
            )
            text = folded

    # 4. Comments and hidden markup.
    for m in HTML_COMMENT_RE.finditer(text):
        inner = m.group(1).strip()
        if inner:
            out.obfuscations.append(
                Obfuscation(
                    "html-comment",
                    "medium",
                    _visible_sample(m.group(0), 80),
                    "an HTML comment: hidden when the description is rendered, read by the model",
                    decoded=_visible_sample(inner),
                    start=m.start(),
                )
            )
            out.hidden.append(Hidden("html-comment", inner, m.start()))
    for m in MD_COMMENT_RE.finditer(text):
        out.obfuscations.append(
            Obfuscation(
                "markdown-comment",
                "medium",
                _visible_sample(m.group(0), 80),
                "a Markdown comment: hidden when rendered, read by the model",
                decoded=_visible_sample(m.group(1)),
                start=m.start(),
            )
        )
        out.hidden.append(Hidden("markdown-comment", m.group(1), m.start()))
    for m in HIDDEN_TAG_RE.finditer(text):
        out.hidden.append(Hidden(f"<{m.group(1).lower()}> block", m.group(2), m.start()))

    # 5. Long whitespace runs: the text after them is out of view in most UIs.
    for m in WHITESPACE_RUN_RE.finditer(text):
        tail = text[m.end() : m.end() + 2000]
        out.obfuscations.append(
            Obfuscation(
                "whitespace-padding",
                "medium",
                f"{len(m.group(0))} whitespace characters before {_visible_sample(tail, 40)!r}",
                "a long run of whitespace pushes the following text out of view in tool-approval dialogs",
                decoded=_visible_sample(tail),
                start=m.start(),
            )
        )
        out.hidden.append(Hidden("after-whitespace", tail, m.end()))
        break

    # 6. Encoded payloads: decoded and shown; what they say is judged by the detectors.
    for regex, decoder, label in (
        (B64_RE, decode_b64, "base64"),
        (HEX_RE, decode_hex, "hex"),
        (ESCAPED_RE, decode_escapes, "escaped"),
    ):
        for m in regex.finditer(text):
            decoded_text = decoder(m.group(1) if m.groups() else m.group(0))
            if decoded_text is None:
                continue
            out.obfuscations.append(
                Obfuscation(
                    "encoded-payload",
                    "low",
                    _visible_sample(m.group(0), 60),
                    f"a {label} string that decodes to readable text",
                    decoded=_visible_sample(decoded_text, 400),
                    start=m.start(),
                )
            )
            out.hidden.append(Hidden(f"{label}-payload", decoded_text, m.start()))
    out.text = text
    return out
