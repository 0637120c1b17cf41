#!/bin/sh
# System packages the project needs beyond Python: a CJK font for charts and
# Chromium for the browser test; `sysdeps.sh r` adds R + survey for `make reference`.
# Installs only what is missing, and only where apt-get can run (root).
set -e
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
[ -n "$(fc-list 2>/dev/null | grep -i 'Noto Sans CJK')" ] || need="$need fonts-noto-cjk fontconfig"
if [ "$1" = "r" ]; then
  command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(survey); library(jsonlite)' >/dev/null 2>&1 \
    || need="$need r-base-core r-cran-survey r-cran-jsonlite"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages:$need"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
else
  echo "note: missing system packages:$need (install them to enable CJK charts / browser tests)" >&2
fi
