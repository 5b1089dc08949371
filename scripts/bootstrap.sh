#!/usr/bin/env bash
# Set up everything vnplan needs on a fresh Debian machine: system packages (installed with
# apt-get when missing and we are root), a virtualenv in .venv, and `pip install -e .[dev]`.
# Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "bootstrap: Python >= 3.11 is required ($("$PY" --version 2>&1))" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------------------
apt_pkgs=()
command -v tesseract >/dev/null 2>&1 || apt_pkgs+=(tesseract-ocr)
if ! tesseract --list-langs 2>/dev/null | grep -qx vie; then apt_pkgs+=(tesseract-ocr-vie); fi
# a font with Vietnamese glyphs for the PDF/image fixtures the ingest tests generate
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || apt_pkgs+=(fonts-dejavu-core)
# Word 97-2003 .doc, .rtf and .odt inputs are converted by LibreOffice (pipeline/ingest/docx.py)
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 || apt_pkgs+=(libreoffice-writer-nogui)
# headless browser for the HTML report test (tests/test_report_browser.py)
command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)
for extra in ${VNPLAN_EXTRA_APT:-}; do apt_pkgs+=("$extra"); done
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: apt-get install ${apt_pkgs[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
  else
    echo "bootstrap: warning: missing ${apt_pkgs[*]} (run as root or install them); OCR or .doc reading will be unavailable" >&2
  fi
fi

# --- Python virtualenv -------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=".venv/.vnplan-installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "bootstrap: pip install -e .[dev] (first run takes a few minutes)" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.vnplan-installed-*
  touch "$stamp"
fi
