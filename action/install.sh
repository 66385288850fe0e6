#!/usr/bin/env bash
# Installs the gate into a private virtual environment from the hash-pinned requirements shipped with the
# Action, plus the package from the Action's own path. Reused when the requirements have not changed.
set -euo pipefail

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
python=${GATE_PYTHON:-python3}
venv=${GATE_VENV:-${RUNNER_TEMP:-/tmp}/gate-venv}
requirements="$action_path/action/requirements.txt"

stamp=$(cat "$requirements" "$action_path/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/gate" ] && [ "$(cat "$venv/.gate-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "gate: reusing $venv"
else
  rm -rf "$venv"
  "$python" -m venv "$venv"
  if command -v uv >/dev/null 2>&1; then
    # The system's certificate store, as pip uses it (corporate proxies and mirrors install their CA there).
    export UV_NATIVE_TLS=${UV_NATIVE_TLS:-1}
    uv pip install --python "$venv/bin/python" --quiet --require-hashes --no-deps -r "$requirements"
    uv pip install --python "$venv/bin/python" --quiet --no-deps --no-build-isolation "$action_path"
  else
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$requirements"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation "$action_path"
  fi
  echo "$stamp" > "$venv/.gate-stamp"
fi
if [ -n "${GITHUB_ENV:-}" ]; then
  echo "GATE_VENV=$venv" >> "$GITHUB_ENV"
fi
"$venv/bin/gate" --version
