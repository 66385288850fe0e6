"""The posture rule catalogue and the finding record every static and configuration rule produces.

A rule id (``token_passthrough``) is also the ``short_name`` of the bundled Rego rule that judges it, so the
policy result code is ``posture.<rule id>``. Which rules deny and which warn is decided by policy
(``policies/posture/``), not here; ``severity`` is only the default shown in reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gate.record import Record

# rule id -> (title, severity, what the rule means and why it matters)
RULES: dict[str, tuple[str, str, str]] = {
    "token_passthrough": (
        "Inbound token passed through to a downstream API",
        "critical",
        "The client's bearer token reaches the headers of an outbound HTTP request. MCP servers MUST NOT "
        "pass tokens through: obtain a token issued for the downstream API instead.",
    ),
    "jwt_no_audience": (
        "JWT validated without an audience check",
        "high",
        "A token is decoded without checking its audience, so tokens issued for other services are "
        "accepted. MCP servers MUST NOT accept tokens not issued for them.",
    ),
    "jwt_unverified": (
        "JWT decoded without signature verification",
        "critical",
        "The token's signature is not verified, so any forged token is accepted.",
    ),
    "jwt_no_issuer": (
        "JWT validated without an issuer check",
        "medium",
        "The token's issuer is not checked; tokens from another authorization server sharing keys or "
        "audiences may be accepted.",
    ),
    "session_id_insecure": (
        "Session identifier from a non-cryptographic source",
        "high",
        "Session IDs MUST come from a secure random source; predictable IDs (random, uuid1, time, counters) "
        "let an attacker guess or enumerate sessions.",
    ),
    "session_as_auth": (
        "Session used as authentication",
        "high",
        "The caller's identity is taken from the session instead of from a verified token on every request. "
        "MCP servers MUST NOT use sessions for authentication.",
    ),
    "unauthenticated_bind": (
        "HTTP transport exposed on all interfaces without authentication",
        "high",
        "The server listens on 0.0.0.0 or :: and no authentication is configured anywhere in the project.",
    ),
    "origin_validation": (
        "HTTP transport without Origin validation",
        "high",
        "Streamable HTTP servers MUST validate the Origin header to prevent DNS rebinding attacks.",
    ),
    "cors_wildcard_credentials": (
        "CORS allows any origin with credentials",
        "medium",
        "Any web page can make credentialed requests to the server.",
    ),
    "plain_http": (
        "Plain http:// endpoint for a remote service",
        "medium",
        "Tokens and session IDs sent over plain HTTP can be intercepted; use HTTPS for every remote endpoint.",
    ),
    "oauth_no_pkce": (
        "OAuth authorization code flow without PKCE",
        "medium",
        "OAuth 2.1 requires PKCE for every authorization request.",
    ),
    "redirect_uri_loose": (
        "Redirect URI matched loosely",
        "medium",
        "Redirect URIs must be compared exactly against registered values; prefix, substring, wildcard or "
        "regex matching lets an attacker redirect authorization codes.",
    ),
    "tool_shell": (
        "Tool arguments reach a shell",
        "high",
        "A tool handler passes its arguments to a shell or to eval/exec: command injection.",
    ),
    "tool_ssrf": (
        "Tool fetches arbitrary URLs",
        "medium",
        "A tool handler fetches a URL taken from its arguments with no allow-list (server-side request forgery).",
    ),
    "secret": (
        "Secret in source",
        "high",
        "A credential is written in the source; move it to a secret store or an environment variable.",
    ),
    "config_unpinned_package": (
        "Launch configuration runs an unpinned package",
        "medium",
        "npx/uvx (and similar) fetch whatever version is newest at launch time; pin an exact version.",
    ),
    "config_image_digest": (
        "Container image not pinned by digest",
        "medium",
        "Tags can be moved; pin the image with @sha256:<digest>.",
    ),
    "config_inline_secret": (
        "Secret written inline in an MCP configuration",
        "high",
        "A credential is stored in a configuration file; reference an input or environment variable instead.",
    ),
    "config_plain_http": (
        "Remote MCP server over plain http://",
        "medium",
        "Tokens and session IDs sent over plain HTTP can be intercepted.",
    ),
    "config_unsafe_wrapper": (
        "Launch command uses sudo or pipes a download into a shell",
        "high",
        "The server is launched with elevated rights or runs code fetched at launch time.",
    ),
}


@dataclass(frozen=True, order=True, repr=False)
class Finding(Record):
    """One static or configuration finding: a rule, where, the offending text and why it matters."""

    file: str
    line: int
    rule: str
    snippet: str
    message: str
    column: int = 0
    language: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        title, severity, explanation = RULES[self.rule]
        out: dict[str, Any] = {
            "rule": self.rule,
            "title": title,
            "severity": severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "snippet": self.snippet,
            "message": self.message,
            "explanation": explanation,
            "language": self.language,
        }
        if self.detail:
            out["detail"] = self.detail
        return out


def snippet_of(lines: list[str], line: int, limit: int = 200) -> str:
    """The stripped source line (1-based), cut to ``limit`` characters, known credential formats redacted."""
    from gate.evidence.posture.secrets import redact_known

    if 1 <= line <= len(lines):
        text = redact_known(lines[line - 1].strip())
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


# JSON Schema of ``input.mcp.posture`` (the lead's input-v1 schema may embed it).
_FINDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["rule", "title", "severity", "file", "line", "column", "snippet", "message", "explanation"],
    "properties": {
        "rule": {"type": "string", "enum": sorted(RULES)},
        "title": {"type": "string"},
        "severity": {"enum": ["critical", "high", "medium", "low", "info"]},
        "file": {"type": "string"},
        "line": {"type": "integer", "minimum": 1},
        "column": {"type": "integer", "minimum": 0},
        "snippet": {"type": "string"},
        "message": {"type": "string"},
        "explanation": {"type": "string"},
        "language": {"type": "string"},
        "detail": {"type": "string"},
    },
    "additionalProperties": False,
}
_EXCHANGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["request", "response", "error"],
    "properties": {
        "request": {
            "type": "object",
            "required": ["method", "url", "headers"],
            "properties": {
                "method": {"type": "string"},
                "url": {"type": "string"},
                "headers": {"type": "object"},
            },
        },
        "response": {
            "type": ["object", "null"],
            "properties": {
                "status": {"type": "integer"},
                "headers": {"type": "object"},
                "body": {"type": "string"},
                "truncated": {"type": "boolean"},
            },
        },
        "error": {"type": ["string", "null"]},
    },
}
POSTURE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "input.mcp.posture",
    "type": "object",
    "required": ["static", "config", "probe"],
    "properties": {
        "static": {"type": "array", "items": _FINDING_SCHEMA},
        "config": {"type": "array", "items": _FINDING_SCHEMA},
        "probe": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["check", "rule", "title", "status", "message", "evidence"],
                "properties": {
                    "check": {"type": "string"},
                    "rule": {"type": "string", "pattern": "^probe_"},
                    "title": {"type": "string"},
                    "status": {"enum": ["pass", "fail", "skipped", "error"]},
                    "message": {"type": "string"},
                    "evidence": {"type": "array", "items": _EXCHANGE_SCHEMA},
                    "details": {"type": "object"},
                },
            },
        },
    },
    "additionalProperties": False,
}
