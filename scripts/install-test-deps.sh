#!/usr/bin/env bash
# Installs what the end-to-end tests need and a fresh machine may lack:
# Prometheus (prometheus, promtool), Alertmanager (amtool), VictoriaMetrics (the long-term store of
# the compose profile) and PostgreSQL (initdb, postgres: the app's PostgresIT starts its own
# server), from Debian's packages; Node.js and Grafana's LogQL grammar (npm ci in
# scripts/logql-check, for LogQlGrammarTest).
# Does nothing when they are already installed. Needs root or sudo for apt-get.
set -euo pipefail

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v victoria-metrics >/dev/null 2>&1 || missing+=(victoria-metrics)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi

# The commands of README.md and docs/ (examples/docs-commands) use these.
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
# LogQlGrammarTest parses the dashboards' LogQL with Grafana's grammar (npm, below).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

# Grafana's LogQL grammar, at the versions of the committed package-lock.json.
logql_check() {
  local dir
  dir="$(cd "$(dirname "$0")" && pwd)/logql-check"
  if [ ! -d "$dir/node_modules/@grafana/lezer-logql" ]; then
    echo "install-test-deps: npm ci --prefix $dir"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  logql_check
  echo "install-test-deps: prometheus, promtool, amtool, victoria-metrics, postgresql, curl, jq, setsid, node and the LogQL grammar are installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${missing[*]} and no apt-get here;" \
       "install Prometheus 2.42+, Alertmanager 0.25+, VictoriaMetrics 1.79+ and PostgreSQL 15+ and put them on PATH" >&2
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
command -v prometheus promtool amtool victoria-metrics curl jq setsid
ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null || command -v initdb
logql_check
