#!/usr/bin/env bash
# Installs what the end-to-end tests need and a fresh machine may lack:
# Prometheus (prometheus, promtool) and Alertmanager (amtool) from Debian's packages.
# Does nothing when they are already installed. Needs root or sudo for apt-get.
set -euo pipefail

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
# The commands of README.md and docs/ (examples/docs-commands) use these.
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v setsid >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: prometheus, promtool, amtool, curl, jq and setsid are installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${missing[*]} and no apt-get here;" \
       "install Prometheus 2.42+ and Alertmanager 0.25+ and put them on PATH" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
echo "install-test-deps: installing ${packages}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The packages' service scripts may try to start daemons; the tests start their own.
$sudo apt-get install -y -qq --no-install-recommends ${packages} >/dev/null
command -v prometheus promtool amtool curl jq setsid
