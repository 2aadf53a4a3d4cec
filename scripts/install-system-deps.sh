#!/usr/bin/env bash
# Installs the two system tools the workflow shells out to, from Debian/Ubuntu packages:
#   ffmpeg   (ffmpeg + ffprobe: demux, probe, mux; Debian's build has libass for burn-in)
#   espeak-ng (speech for the generated demo clip and the reliability tests)
#   chromium  (only with --tests: the report test opens the HTML report in headless Chromium)
#   procps    (only with --tests: pgrep finds stage processes in the kill tests)
#   time      (only with --tests: GNU /usr/bin/time measures peak memory in bench/b5_peak_rss.py)
#   graphviz  (only with --docs: dot draws docs/rulegraph.svg, `make rulegraph`)
# Python packages never go here: they live in per-stage venvs built by the workflow.
set -euo pipefail
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
if [ "${1:-}" = "--tests" ]; then
  command -v chromium >/dev/null || missing+=(chromium)
  command -v pgrep >/dev/null || missing+=(procps)
  [ -x /usr/bin/time ] || missing+=(time)
fi
if [ "${1:-}" = "--docs" ]; then
  command -v dot >/dev/null || missing+=(graphviz)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
