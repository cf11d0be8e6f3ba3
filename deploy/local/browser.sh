#!/usr/bin/env bash
# Headless Chromium for the browser tests comes from Debian's package (a Playwright browser download
# cannot work here). Installs it when missing and we may; otherwise says how.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "[browser] installing Debian's chromium for the browser tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "[browser] chromium is missing: install it (e.g. sudo apt-get install chromium)" >&2
  exit 1
fi
