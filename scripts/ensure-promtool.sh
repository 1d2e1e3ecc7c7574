#!/usr/bin/env bash
# Prints the path of a promtool binary, fetching one when none is installed: the tests check the
# live /metrics output, the alert rules and their unit tests with it. promtool ships in Debian's
# `prometheus` package; `apt-get download` + `dpkg -x` unpack it into .tools/ without installing
# (or starting) a Prometheus server.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
local_bin="$PWD/.tools/prometheus/usr/bin/promtool"
if [ -x "$local_bin" ]; then echo "$local_bin"; exit 0; fi

command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 || {
  echo "ensure-promtool: promtool is missing and this machine has no apt-get/dpkg; install Prometheus' promtool and put it on PATH" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "ensure-promtool: fetching Debian's prometheus package for promtool" >&2
(cd "$work" && apt-get download prometheus >/dev/null 2>&1) || {
  # The package lists may be missing on a fresh machine.
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; fi
  (cd "$work" && apt-get download prometheus >/dev/null 2>&1)
}
mkdir -p .tools/prometheus
dpkg -x "$work"/prometheus_*.deb .tools/prometheus
"$local_bin" --version >/dev/null 2>&1 || { echo "ensure-promtool: unpacked promtool does not run" >&2; exit 1; }
echo "$local_bin"
