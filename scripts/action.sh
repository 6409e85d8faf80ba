#!/usr/bin/env bash
# The bpflab GitHub Action's body (action.yml runs it; internal/ci runs it
# locally). Inputs come as environment variables:
#   BPFLAB            path of the bpflab binary (built by action.yml)
#   INPUT_KERNELS     comma-separated kernel names ("" = every kernel of the
#                     manifest: kernels/manifest of the repo, else built-in)
#   INPUT_PACKAGES    go package patterns for `bpflab matrix` ("" = skip)
#   INPUT_OBJECTS     BPF objects (globs allowed) for `bpflab check` ("" = skip)
#   INPUT_BASELINE    a previous run's JSON: only regressions fail
#   INPUT_OUTPUT_DIR  where matrix.{json,xml,md} and check.{json,xml,md} go
#   INPUT_COVER       "true": matrix with -cover, profiles in OUTPUT_DIR/cover
#   GITHUB_STEP_SUMMARY  the job summary file (Markdown is appended)
# Exit status: non-zero if a run failed (or regressed, with a baseline).
set -uo pipefail

: "${BPFLAB:?BPFLAB must name the bpflab binary}"
out="${INPUT_OUTPUT_DIR:-bpflab-results}"
mkdir -p "$out"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
status=0

common=()
if [[ -n "${INPUT_KERNELS:-}" ]]; then
  common+=(--kernels "$INPUT_KERNELS")
fi
if [[ -n "${INPUT_BASELINE:-}" ]]; then
  common+=(--baseline "$INPUT_BASELINE")
fi

if [[ -n "${INPUT_PACKAGES:-}" ]]; then
  read -r -a pkgs <<<"$INPUT_PACKAGES"
  cover=()
  if [[ "${INPUT_COVER:-}" == "true" ]]; then
    cover=(--cover "$out/cover")
  fi
  echo "::group::bpflab matrix ${pkgs[*]}"
  "$BPFLAB" matrix "${common[@]}" "${cover[@]}" --workdir "$out/work" \
    --json "$out/matrix.json" --junit "$out/matrix.xml" --markdown "$out/matrix.md" "${pkgs[@]}"
  rc=$?
  echo "::endgroup::"
  if [[ -f "$out/matrix.md" ]]; then
    { echo "## bpflab matrix"; cat "$out/matrix.md"; echo; } >>"$summary"
  fi
  ((rc != 0)) && status=$rc
fi

if [[ -n "${INPUT_OBJECTS:-}" ]]; then
  # Unquoted on purpose: globs such as bpf/*.o expand here.
  # shellcheck disable=SC2206
  objs=($INPUT_OBJECTS)
  echo "::group::bpflab check ${objs[*]}"
  "$BPFLAB" check "${common[@]}" \
    --json "$out/check.json" --junit "$out/check.xml" --markdown "$out/check.md" "${objs[@]}"
  rc=$?
  echo "::endgroup::"
  if [[ -f "$out/check.md" ]]; then
    { echo "## bpflab check"; cat "$out/check.md"; echo; } >>"$summary"
  fi
  ((rc != 0)) && status=$rc
fi

if [[ -z "${INPUT_PACKAGES:-}" && -z "${INPUT_OBJECTS:-}" ]]; then
  echo "bpflab action: set packages (go test patterns) and/or objects (BPF .o files)" >&2
  exit 2
fi
exit "$status"
