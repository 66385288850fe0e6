"""High-precision secret detection: known credential formats, and high-entropy literals assigned to
secret-like names. Placeholders (``your-api-key``, ``${env:TOKEN}``, ``<token>``, ``xxxx``) never match.
Matched values are redacted before they reach evidence."""

from __future__ import annotations

import math
import re
from collections import Counter

from gate.lazyre import LazyPattern, lazy

# Formats with a distinctive prefix or structure: a match is a credential with very high probability.
KNOWN_FORMATS: tuple[tuple[str, LazyPattern], ...] = (
    ("AWS access key id", lazy(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", lazy(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b")),
    ("GitHub fine-grained token", lazy(r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b")),
    ("GitLab token", lazy(r"\bglpat-[A-Za-z0-9_-]{20,}\b")),
    ("Slack token", lazy(r"\bxox[baprs]-[0-9]{6,}-[A-Za-z0-9-]{10,}\b")),
    ("Anthropic API key", lazy(r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}")),
    ("OpenAI API key", lazy(r"\bsk-(?:proj-|svcacct-|admin-)[A-Za-z0-9_-]{40,}")),
    ("OpenAI API key", lazy(r"\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b")),
    ("Google API key", lazy(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Stripe secret key", lazy(r"\b[sr]k_live_[0-9a-zA-Z]{24,}\b")),
    ("Hugging Face token", lazy(r"\bhf_[A-Za-z0-9]{34,}\b")),
    ("npm token", lazy(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("PyPI token", lazy(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
    ("SendGrid key", lazy(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b")),
    (
        "private key",
        lazy(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----"),
    ),
)

SECRET_NAME = lazy(
    r"(?:^|[_\-.]|(?<=[a-z])(?=[A-Z]))(secret|token|api[_-]?key|apikey|passw(or)?d|pwd|private[_-]?key|"
    r"client[_-]?secret|access[_-]?key|auth[_-]?key|credential|bearer)s?(?:$|[_\-.A-Z])",
    re.IGNORECASE,
)
# Names that look secret-like but hold no secret.
NOT_SECRET_NAME = lazy(
    r"(token_?(url|uri|endpoint|type|path|file|name|field|header|prefix|length|len|count|limit|expir\w*|ttl|"
    r"kind|usage|param\w*|key_name)|_?(url|uri|endpoint|path|file|env|var|name|header|prefix|id)$|"
    r"^(max|min|num|n)_|password_(hash|policy|field|prompt)|tokenizer|tokens_?(used|count)|_tokens$|"
    r"_?type$|grant|_?scheme$|_?format$|_?pattern$|_?regex$|_?mode$|_?method$|_?algorithm$)",
    re.IGNORECASE,
)
PLACEHOLDER = lazy(
    r"(your|my|example|sample|placeholder|changeme|change_me|replace|dummy|fake|test|redacted|insert|"
    r"enter|xxx|\*\*\*|<[^>]*>|\$\{|\{\{|%\(|\.\.\.|todo|fixme|none|null|undefined|secret_here|here$|"
    r"process\.env|os\.environ)",
    re.IGNORECASE,
)


def entropy(s: str) -> float:
    if not s:
        return 0.0
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def is_placeholder(value: str) -> bool:
    v = value.strip()
    if not v or PLACEHOLDER.search(v):
        return True
    return len(set(v)) <= 3  # "aaaa", "0000", "----"


ANY_KNOWN = lazy("|".join(f"(?:{p.pattern})" for _, p in KNOWN_FORMATS))


# Literal prefixes of the formats above: a cheap substring test before any regular expression runs.
PREFIXES = (
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "sk-",
    "AIza",
    "k_live_",
    "hf_",
    "npm_",
    "pypi-",
    "SG.",
    "PRIVATE KEY",
)


def maybe_known(text: str) -> bool:
    return any(p in text for p in PREFIXES)


def known_format(text: str) -> tuple[str, str] | None:
    """The first known credential format in ``text``: (kind, matched value)."""
    if not maybe_known(text) or not ANY_KNOWN.search(text):
        return None
    for kind, pattern in KNOWN_FORMATS:
        m = pattern.search(text)
        if m and not is_placeholder(m.group(0)):
            return kind, m.group(0)
    return None


def secret_like_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET_NAME.search(name)


def high_entropy_secret(name: str, value: str) -> bool:
    """A literal assigned to a secret-like name that looks random enough to be a real credential."""
    if not secret_like_name(name):
        return False
    v = value.strip()
    if len(v) < 16 or len(v) > 512 or any(ch.isspace() for ch in v) or is_placeholder(v):
        return False
    if v.startswith(("http://", "https://", "/", "./", "-", "urn:")) or re.fullmatch(r"[a-z_:.\-]+", v):
        return False
    classes = sum(
        (
            any(c.islower() for c in v),
            any(c.isupper() for c in v),
            any(c.isdigit() for c in v),
            any(not c.isalnum() for c in v),
        )
    )
    if classes < 2:
        return False
    return entropy(v) >= 3.5


def redact(value: str) -> str:
    """Enough to recognise a secret, never enough to use it."""
    v = value.strip()
    if len(v) <= 8:
        return "<redacted>"
    return f"{v[:4]}…<redacted {len(v)} chars>"


def redact_in(text: str, value: str) -> str:
    return text.replace(value, redact(value)) if value else text


def redact_known(text: str) -> str:
    """``text`` with every known-format credential redacted."""
    if not maybe_known(text) or not ANY_KNOWN.search(text):
        return text
    for _, pattern in KNOWN_FORMATS:
        text = pattern.sub(lambda m: redact(m.group(0)), text)
    return text
