#!/usr/bin/env bash
# Debian packages the tests need besides Python: Chromium (browser tests, through Playwright with
# executable_path: a browser is never downloaded), DejaVu fonts, LibreOffice Writer (DOCX -> PDF
# rendering test), poppler-utils (pdftotext) and nginx-light (`nginx -t` of deploy/nginx).
# Missing ones are installed with apt-get when running as root; otherwise the script stops with
# one line saying what to install.
set -euo pipefail

fonts="${IOC_DEJAVU_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e "$fonts" ] || missing+=(fonts-dejavu-core)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# nginx: `nginx -t` checks the shipped site file (deploy/nginx); openssl makes its test certificate.
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  apt-get update -qq
  # Installing a package must not start its service (nginx would listen on port 80): a
  # temporary policy-rc.d refuses every start during the install, as in Debian's images.
  policy="${IOC_POLICY_RC_D:-/usr/sbin/policy-rc.d}"
  added=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && added=1
    chmod +x "$policy" || true
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || status=$?
  [ "$added" = 1 ] && rm -f "$policy"
  exit "$status"
fi
echo "Missing system packages for the tests; install them as root: apt-get install ${missing[*]}" >&2
exit 1
