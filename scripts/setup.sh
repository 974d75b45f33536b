#!/usr/bin/env bash
# Sets up everything needed to build and test tfp_flows with Bazel, offline:
#   - Bazel (Debian's `bazel-bootstrap`, Bazel 4.2.3) if `bazel` is missing;
#   - python3 / python3-venv if a virtual environment cannot be created;
#   - the project's virtual environment in <repo>/.venv with requirements.txt
#     and requirements-test.txt, and tfp_flows itself installed editable, so
#     `.venv/bin/python3 my_script.py` can `import tfp_flows`.
#
# Safe to run again: it installs only what is missing, and skips pip while
# requirements.txt is unchanged since the last successful install.
#
# Environment:
#   TFP_FLOWS_BASE_PYTHON  interpreter used to create .venv (default: python3)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${REPO_ROOT}/.venv"
REQUIREMENTS="${REPO_ROOT}/requirements.txt"
TEST_REQUIREMENTS="${REPO_ROOT}/requirements-test.txt"
STAMP="${VENV}/.requirements.sha256"
BASE_PYTHON="${TFP_FLOWS_BASE_PYTHON:-python3}"

say() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

# Runs a command as root: directly when root, through sudo otherwise.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# True when the venv at $1 has a working interpreter.
venv_works() {
  [[ -x "$1/bin/python3" ]] && "$1/bin/python3" -c 'import sys' >/dev/null 2>&1
}

# True when $BASE_PYTHON can create a venv with pip in it. On Debian the venv
# module exists without python3-venv, but ensurepip does not: only a real
# (throwaway) venv creation tells.
can_make_venv() {
  command -v "${BASE_PYTHON}" >/dev/null 2>&1 || return 1
  local probe rc
  probe="$(mktemp -d)"
  rc=0
  "${BASE_PYTHON}" -m venv "${probe}/venv" >/dev/null 2>&1 || rc=1
  rm -rf "${probe}"
  return "${rc}"
}

# --- 1. system packages ------------------------------------------------------
packages=()
if ! command -v bazel >/dev/null 2>&1; then
  packages+=(bazel-bootstrap)
fi
if ! venv_works "${VENV}" && ! can_make_venv; then
  command -v "${BASE_PYTHON}" >/dev/null 2>&1 || packages+=(python3)
  packages+=(python3-venv)
fi

if [[ ${#packages[@]} -gt 0 ]]; then
  command -v apt-get >/dev/null 2>&1 \
    || die "missing ${packages[*]} and apt-get is not available: install them by hand"
  if [[ "$(id -u)" -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
    die "need root (or sudo) to install: ${packages[*]}"
  fi
  say "installing system packages: ${packages[*]} (apt-get, about 30 s)"
  export DEBIAN_FRONTEND=noninteractive
  apt_log="$(mktemp)"
  if ! { as_root apt-get update -q && \
         as_root apt-get install -y -q --no-install-recommends "${packages[@]}"; \
       } >"${apt_log}" 2>&1; then
    tail -n 30 "${apt_log}" >&2
    rm -f "${apt_log}"
    die "apt-get failed (last lines above)"
  fi
  rm -f "${apt_log}"
else
  say "system packages: ok"
fi
command -v bazel >/dev/null 2>&1 || die "bazel is still missing after install"

# --- 2. virtual environment --------------------------------------------------
if venv_works "${VENV}"; then
  say "virtual environment: ${VENV} (exists)"
else
  if [[ -e "${VENV}" ]]; then
    say "virtual environment at ${VENV} is broken: recreating it"
    rm -rf "${VENV}"
  fi
  say "creating virtual environment: ${VENV}"
  "${BASE_PYTHON}" -m venv "${VENV}" || die "could not create ${VENV}"
fi

# --- 3. Python requirements --------------------------------------------------
for file in "${REQUIREMENTS}" "${TEST_REQUIREMENTS}"; do
  [[ -f "${file}" ]] || die "missing ${file}"
done
# The editable install's location is part of the stamp: a moved checkout
# reinstalls.
want="$(cat "${REQUIREMENTS}" "${TEST_REQUIREMENTS}" <(echo "${REPO_ROOT}") \
        | sha256sum | cut -d' ' -f1)"
have="$(cat "${STAMP}" 2>/dev/null || true)"
if [[ "${want}" == "${have}" ]]; then
  say "python requirements: up to date"
else
  say "installing python requirements (pip, may take a minute)"
  rm -f "${STAMP}"
  "${VENV}/bin/python3" -m pip install --disable-pip-version-check -q \
    -r "${REQUIREMENTS}" -r "${TEST_REQUIREMENTS}"
  # Editable and without dependencies (pinned above): the venv's python
  # imports this checkout.
  "${VENV}/bin/python3" -m pip install --disable-pip-version-check -q \
    --no-deps --no-build-isolation -e "${REPO_ROOT}"
  echo "${want}" > "${STAMP}"
  say "python requirements: installed"
fi

say "done. Run tests with: bazel test //tests/..."
