#!/usr/bin/env bash
# Runs `gate check` with the Action's inputs. Inputs arrive only through the environment and are passed
# to the gate as separate arguments: nothing here is evaluated by the shell.
set -euo pipefail

venv=${GATE_VENV:-${RUNNER_TEMP:-/tmp}/gate-venv}
gate="$venv/bin/gate"
python="$venv/bin/python"
out=${INPUT_OUTPUT_DIR:-gate-results}
mkdir -p -- "$out"

args=(check -- "${INPUT_PATH:-.}")
opts=(--format table --quiet
      --report "json=$out/report.json" --report "sarif=$out/gate.sarif"
      --report "markdown=$out/summary.md" --report "github=$out/annotations.txt"
      --sbom-output "$out/bom.cdx.json" --evidence-output "$out/evidence.json")

while IFS= read -r line; do
  [ -n "$line" ] && opts+=(--policy "$line")
done <<< "${INPUT_POLICY:-}"
while IFS= read -r line; do
  [ -n "$line" ] && opts+=(--data "$line")
done <<< "${INPUT_DATA:-}"
[ -n "${INPUT_COLLECTION:-}" ] && opts+=(--collection "$INPUT_COLLECTION")
[ -n "${INPUT_CONFIG:-}" ] && opts+=(--config "$INPUT_CONFIG")
[ -n "${INPUT_VULN_DB:-}" ] && opts+=(--vuln-db "$INPUT_VULN_DB")
vsa_path=""
if [ "${INPUT_VSA:-false}" = "true" ]; then
  vsa_path="$out/vsa.intoto.json"
  opts+=(--vsa "$vsa_path")
  [ -n "${INPUT_VSA_KEY:-}" ] && opts+=(--vsa-key "$INPUT_VSA_KEY")
fi
if [ -n "${INPUT_ARGS:-}" ]; then
  # Split like a shell would, without expanding anything; NUL-separated so newlines survive.
  while IFS= read -r -d '' word; do
    opts+=("$word")
  done < <("$python" -c 'import os, shlex, sys; sys.stdout.write("".join(w + "\0" for w in shlex.split(os.environ["INPUT_ARGS"])))')
fi

set +e
"$gate" "${args[0]}" "${opts[@]}" "${args[@]:1}"
code=$?
set -e

decision=error
if [ -f "$out/report.json" ] && [ "$code" -ne 2 ]; then
  decision=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["decision"])' "$out/report.json")
  [ -f "$out/annotations.txt" ] && cat "$out/annotations.txt"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/summary.md" ]; then
    cat "$out/summary.md" >> "$GITHUB_STEP_SUMMARY"
  fi
else
  echo "::error title=gate::gate could not evaluate the target (exit code $code); see the log above"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '## gate: could not evaluate\n\nExit code %s: see the job log.\n' "$code" >> "$GITHUB_STEP_SUMMARY"
  fi
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "decision=$decision"
    echo "exit-code=$code"
    echo "sbom=$out/bom.cdx.json"
    echo "report=$out/report.json"
    echo "sarif=$out/gate.sarif"
    echo "vsa=$vsa_path"
  } >> "$GITHUB_OUTPUT"
fi

case "${INPUT_FAIL_LEVEL:-block}" in
  block) exit "$code" ;;
  warn) if [ "$code" -ne 0 ]; then exit "$code"; elif [ "$decision" = "warn" ]; then exit 1; else exit 0; fi ;;
  never) if [ "$code" -eq 2 ]; then exit 2; else exit 0; fi ;;
  *) echo "::error title=gate::fail-level must be block, warn or never (got: ${INPUT_FAIL_LEVEL})"; exit 2 ;;
esac
