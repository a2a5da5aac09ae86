#!/usr/bin/env bash
# Debian packages the tests need besides Python: Chromium (browser tests, through Playwright with
# executable_path: a browser is never downloaded), DejaVu fonts, LibreOffice Writer (DOCX -> PDF
# rendering test) and poppler-utils (pdftotext). Missing ones are installed with apt-get when
# running as root; otherwise the script stops with one line saying what to install.
set -euo pipefail

fonts="${IOC_DEJAVU_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e "$fonts" ] || missing+=(fonts-dejavu-core)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing system packages for the tests; install them as root: apt-get install ${missing[*]}" >&2
exit 1
