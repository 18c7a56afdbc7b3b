#!/usr/bin/env bash
# Install the Debian packages AidLedger needs, only if they are missing.
#   system-deps.sh        what the tests need (PostgreSQL, fonts, hledger, ledger-cli)
#   system-deps.sh pdf    only what the PDFs need (fonts; `make demo` writes PDFs with
#                         Japanese names, which DejaVu does not cover)
set -euo pipefail
only_pdf=false
[ "${1:-}" = "pdf" ] && only_pdf=true
need=()
# PostgreSQL server binaries: the suite starts a throwaway cluster from them.
if ! $only_pdf && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if command -v fc-list >/dev/null 2>&1 && ! fc-list | grep -qi "IPAGothic"; then
  need+=(fonts-ipafont-gothic)
fi
if ! fc-list 2>/dev/null | grep -qi "DejaVu Sans"; then
  need+=(fonts-dejavu-core)
fi
# hledger and ledger-cli: the export tests run them on our journal export (skipped if absent).
if ! $only_pdf && ! command -v hledger >/dev/null 2>&1; then
  need+=(hledger)
fi
if ! $only_pdf && ! command -v ledger >/dev/null 2>&1; then
  need+=(ledger)
fi
# HarfBuzz's subsetter: WeasyPrint embeds font subsets several times faster with it.
if ! ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0"; then
  need+=(libharfbuzz-subset0)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "system-deps: missing ${need[*]}; install them with apt-get (needs root)" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A failed install is reported, not fatal: the tests that need the package then say what is
# missing (PostgreSQL tests fail under CI, hledger comparisons skip).
if ! { apt-get update -qq >/dev/null && \
       apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
  echo "system-deps: WARNING: could not install ${need[*]}" >&2
fi
