#!/bin/sh
# System packages the project needs beyond Python: a CJK font (charts use the
# noto-cjk-sans-otc wheel; Chromium renders the report's Chinese text with the
# system font) and Chromium for the browser test; `sysdeps.sh r` adds R + survey
# for `make reference`.  No locale is needed (the code never reads one).
# Installs only what is missing, and only where apt-get can run (root).  Where it
# cannot, it says what is missing; in CI (CI set) that is an error, so a CI
# machine never passes by skipping the browser test.
set -e
in_ci() { case "${CI:-}" in ""|0|false|False|FALSE|no) return 1 ;; *) return 0 ;; esac; }
has_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }
has_cjk_font() { [ -n "$(fc-list 2>/dev/null | grep -i 'Noto Sans CJK')" ]; }
missing() {
  need=""
  has_chromium || need="$need chromium"
  has_cjk_font || need="$need fonts-noto-cjk fontconfig"
  if [ "$1" = "r" ]; then
    command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(survey); library(jsonlite); library(MASS)' >/dev/null 2>&1 \
      || need="$need r-base-core r-cran-survey r-cran-jsonlite r-cran-mass"
  fi
  echo "$need"
}
need="$(missing "$1")"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages:$need"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
  still="$(missing "$1")"
  if [ -n "$still" ]; then
    echo "error: still missing after apt-get install:$still" >&2
    exit 1
  fi
elif in_ci; then
  echo "error: missing system packages:$need, and this CI machine cannot install them" \
       "(needs root and apt-get); install them in the CI image" >&2
  exit 1
else
  echo "note: missing system packages:$need (install them to enable CJK charts / browser tests;" \
       "the browser test will skip)" >&2
fi
