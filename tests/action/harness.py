"""Runs the composite Action in action.yml locally, the way the GitHub runner would.

It reads action.yml, substitutes ``${{ inputs.* }}`` / ``${{ github.* }}`` expressions into step ``env:``
values only (the runner does the same textual substitution), refuses any expression inside a ``run:``
block, runs each step with bash in a simulated environment (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV,
GITHUB_ACTION_PATH, GITHUB_WORKSPACE, RUNNER_TEMP), carries GITHUB_ENV between steps and collects the
step and action outputs.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class ActionRun:
    exit_code: int
    outputs: dict[str, str]
    summary: str
    stdout: str
    stderr: str


def _parse_kv_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.exists():
        return out
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            key, delim = line.split("<<", 1)
            body = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            out[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
        i += 1
    return out


def run_action(
    action_dir: Path,
    workspace: Path,
    runner_temp: Path,
    inputs: dict[str, str],
    extra_env: dict[str, str] | None = None,
    timeout: float = 600,
) -> ActionRun:
    spec = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    assert spec["runs"]["using"] == "composite"
    declared = spec.get("inputs", {})
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    values = {name: str(meta.get("default", "")) for name, meta in declared.items()}
    values.update(inputs)

    gh_output_dir = runner_temp / "gh"
    gh_output_dir.mkdir(parents=True, exist_ok=True)
    summary = gh_output_dir / "step_summary.md"
    env_file = gh_output_dir / "env"
    summary.write_text("")
    env_file.write_text("")
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(runner_temp / "home"),
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(action_dir),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ENV": str(env_file),
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
    }
    (runner_temp / "home").mkdir(exist_ok=True)
    base_env.update(extra_env or {})
    context = {"github.action_path": str(action_dir), "github.workspace": str(workspace)}
    step_outputs: dict[str, dict[str, str]] = {}
    stdout_all, stderr_all = [], []
    exit_code = 0

    def evaluate(expr: str) -> str:
        if expr.startswith("inputs."):
            return values[expr[len("inputs.") :]]
        if expr in context:
            return context[expr]
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if m:
            return step_outputs.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"expression not supported by the harness: {expr}")

    for n, step in enumerate(spec["runs"]["steps"]):
        if "uses" in step:
            continue  # the runner would run another action here; the harness has none to run
        script = step["run"]
        assert "${{" not in script, f"step {n}: expressions must reach run: blocks through env:, not inline"
        assert step.get("shell") == "bash"
        env = dict(base_env)
        env.update(_parse_kv_file(env_file))
        out_file = gh_output_dir / f"output_{n}"
        out_file.write_text("")
        env["GITHUB_OUTPUT"] = str(out_file)
        for key, raw in (step.get("env") or {}).items():
            env[key] = EXPR.sub(lambda m: evaluate(m.group(1)), str(raw))
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        stdout_all.append(proc.stdout)
        stderr_all.append(proc.stderr)
        if "id" in step:
            step_outputs[step["id"]] = _parse_kv_file(out_file)
        if proc.returncode != 0:
            exit_code = proc.returncode
            break
    outputs = {
        name: EXPR.sub(lambda m: evaluate(m.group(1)), str(meta.get("value", "")))
        for name, meta in (spec.get("outputs") or {}).items()
    }
    return ActionRun(
        exit_code=exit_code,
        outputs=outputs,
        summary=summary.read_text(),
        stdout="".join(stdout_all),
        stderr="".join(stderr_all),
    )
