#!/usr/bin/env bash
# Prints the Prometheus configuration for the no-Docker run (scripts/run.sh) from the template
# prometheus/prometheus.local.yml and the ports in use:
#   KTRDR_API_PORT (default 8000)         the API: scraped, and where the workers are discovered
#   KTRDR_PROMETHEUS_PORT (default 9090)  Prometheus itself
#   KTRDR_PROMETHEUS_SCRAPE_INTERVAL      scrape, rule evaluation and discovery period (default 15s)
#   KTRDR_ALERTMANAGER_PORT (optional)    an Alertmanager on 127.0.0.1 that alerts go to (and that is
#                                         scraped); without it the configuration has no alerting
#   KTRDR_METRICS_TOKEN_FILE (optional)   a file holding the bearer token that protects /metrics
#                                         (KTRDR_METRICS_BEARER_TOKEN on the app): scrapes send it
# Rule files are referenced by absolute path, so the output can be written anywhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

api_port=${KTRDR_API_PORT:-8000}
prometheus_port=${KTRDR_PROMETHEUS_PORT:-9090}
token_file=${KTRDR_METRICS_TOKEN_FILE:-}
alertmanager_port=${KTRDR_ALERTMANAGER_PORT:-}
interval=${KTRDR_PROMETHEUS_SCRAPE_INTERVAL:-15s}
if ! [[ "$interval" =~ ^[1-9][0-9]*(ms|s|m)$ ]]; then
  echo "prometheus-local-config: KTRDR_PROMETHEUS_SCRAPE_INTERVAL=$interval: expected a duration like 15s" >&2
  exit 2
fi
for port in "$api_port" "$prometheus_port" ${alertmanager_port:+"$alertmanager_port"}; do
  if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    echo "prometheus-local-config: port '$port': expected a number 1-65535" >&2
    exit 2
  fi
done

alerting='/^#am /d'
if [ -n "$alertmanager_port" ]; then
  alerting="s|^#am ||; s|127\\.0\\.0\\.1:9093|127.0.0.1:$alertmanager_port|g"
fi

auth='/#auth /d'
if [ -n "$token_file" ]; then
  if [ ! -r "$token_file" ]; then
    echo "prometheus-local-config: KTRDR_METRICS_TOKEN_FILE=$token_file: expected a readable file" >&2
    exit 2
  fi
  auth="s|#auth ||; s|METRICS_TOKEN_FILE|$token_file|"
fi

sed -e "s|127\.0\.0\.1:8000|127.0.0.1:$api_port|g" \
    -e "s|127\.0\.0\.1:9090|127.0.0.1:$prometheus_port|g" \
    -e "s|- rules/\*\.rules\.yml|- $root/prometheus/rules/*.rules.yml|" \
    -e "s|_interval: 15s|_interval: $interval|" \
    -e "$auth" \
    -e "$alerting" \
    "$root/prometheus/prometheus.local.yml"
