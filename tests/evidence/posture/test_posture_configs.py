"""Deployment configuration lint over real-shaped MCP client configurations and registry server.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.collect import walk_files
from gate.errors import InputError
from gate.evidence.posture import configs

ASSETS = Path(__file__).parent / "assets" / "configs"


def lint_tree(root: Path) -> list:
    out = []
    for p in walk_files(root, include_tests=True):
        rel = p.relative_to(root.resolve()).as_posix()
        kind = configs.is_config_file(p, rel)
        if kind:
            out.extend(configs.lint(p, rel, kind))
    return out


def test_every_wrong_configuration_is_caught() -> None:
    found = {(f.file, f.line, f.rule) for f in lint_tree(ASSETS / "wrong")}
    assert found == {
        (".mcp.json", 3, "config_unpinned_package"),
        (".mcp.json", 4, "config_unpinned_package"),
        (".mcp.json", 5, "config_unpinned_package"),
        (".mcp.json", 8, "config_image_digest"),
        (".mcp.json", 9, "config_inline_secret"),
        ("claude_desktop_config.json", 3, "config_unsafe_wrapper"),
        ("claude_desktop_config.json", 4, "config_unsafe_wrapper"),
        (".cursor/mcp.json", 3, "config_plain_http"),
        (".cursor/mcp.json", 3, "config_inline_secret"),
        (".vscode/settings.json", 6, "config_unpinned_package"),
        ("server.json", 6, "config_image_digest"),
        ("server.json", 8, "config_unpinned_package"),
        ("server.json", 9, "config_inline_secret"),
        ("server.json", 11, "config_plain_http"),
    }


def test_every_right_configuration_passes() -> None:
    assert lint_tree(ASSETS / "right") == []


def test_secrets_never_reach_evidence() -> None:
    text = json.dumps([f.to_json() for f in lint_tree(ASSETS / "wrong")])
    for secret in (
        "ghp_Q3vX9kLmN2pR7tY4wB8zC1dF6gH0jK5sA9eU",
        "Zx8fQ2mP9vL4kR7tY1wB6nC3aa",
        "sk-proj-Q3vX9kLm",
    ):
        assert secret not in text
    assert "redacted" in text


@pytest.mark.parametrize(
    ("command", "args", "pinned"),
    [
        ("npx", ["-y", "left-pad@1.3.0"], True),
        ("npx", ["-y", "@scope/pkg@2.0.0-rc.1"], True),
        ("npx", ["-y", "@scope/pkg@^2.0.0"], False),
        ("npx", ["--package=@scope/pkg@1.0.0", "run-it"], True),
        ("npx", ["@scope/pkg"], False),
        ("uvx", ["pkg==1.2.3"], True),
        ("uvx", ["pkg>=1.2"], False),
        ("uvx", ["--from", "pkg==1.0", "pkg-cli"], True),
        ("pnpm", ["dlx", "pkg@1.0.0"], True),
        ("pnpm", ["dlx", "pkg"], False),
        ("uv", ["tool", "run", "pkg"], False),
        ("node", ["server.js"], True),
    ],
)
def test_runner_pinning(tmp_path: Path, command: str, args: list[str], pinned: bool) -> None:
    cfg = tmp_path / "mcp.json"
    cfg.write_text(json.dumps({"servers": {"s": {"command": command, "args": args}}}))
    rules = {f.rule for f in configs.lint(cfg, "mcp.json", "client")}
    assert ("config_unpinned_package" not in rules) is pinned


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".mcp.json", "{not json", "invalid JSON"),
        (".mcp.json", "", "empty file"),
        (".mcp.json", "[1, 2]", "expected a JSON object"),
        ("server.json", "[" * 5000 + "]" * 5000, "nested more than"),
    ],
)
def test_malformed_configuration_is_one_input_error(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    cfg = tmp_path / name
    cfg.write_text(content)
    with pytest.raises(InputError) as err:
        configs.lint(cfg, name, configs.is_config_file(cfg, name) or "client")
    assert message in err.value.diagnostics()
    assert name in err.value.diagnostics()


def test_huge_configuration_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / ".mcp.json"
    cfg.write_text('{"mcpServers": {}, "pad": "' + "x" * (5 * 1024 * 1024) + '"}')
    with pytest.raises(InputError, match="too large"):
        configs.lint(cfg, ".mcp.json", "client")
