#!/usr/bin/env bash
# Debian's chromium with Thai fonts, and poppler's pdftoppm and pdftotext: what the
# server's printed report (`FIELDWEEK_PDF_CHROMIUM`) and the browser tests need.
# Installs them with apt when one is missing; does nothing otherwise.
set -euo pipefail

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/bin/chromium ] || ! command -v pdftoppm >/dev/null ||
    ! fc-list :lang=th 2>/dev/null | grep -q .; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-thai-tlwg \
        poppler-utils
fi
