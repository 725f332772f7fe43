#!/usr/bin/env bash
# Runs the KTRDR reference app on localhost with embedded defaults, no Docker:
#   API                 http://127.0.0.1:8000   (Swagger UI at /api/v1/docs, metrics at /metrics)
#   backtesting worker  http://127.0.0.1:5003
#   training worker     http://127.0.0.1:5004
#   Prometheus          http://127.0.0.1:9090   (only when a `prometheus` binary is on the PATH)
# Builds the jar first when it is missing or older than the sources. Ctrl-C stops everything.
# Every KTRDR_* / OTEL_* variable set here reaches all processes (docs/configuration.md), e.g.
#   KTRDR_LOG_FORMAT=text scripts/run.sh
#   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

api_port=${KTRDR_API_PORT:-8000}
backtest_port=${KTRDR_BACKTEST_WORKER_PORT:-5003}
training_port=${KTRDR_TRAINING_WORKER_PORT:-5004}
jar=ktrdr-app/target/ktrdr-app.jar

if [ ! -f "$jar" ] || [ -n "$(find ktrdr-telemetry/src ktrdr-telemetry-logback/src ktrdr-app/src pom.xml ktrdr-app/pom.xml ktrdr-telemetry/pom.xml -newer "$jar" -print -quit)" ]; then
  echo "run: building $jar"
  ./mvnw -B -q -ntp -DskipTests -Dspotless.check.skip=true install -pl ktrdr-app -am
fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo "run: stopping"
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# start NAME ENV... : runs the jar with the given environment, each line prefixed with NAME.
start() {
  local name=$1
  shift
  env "$@" java ${JAVA_OPTS:-} -jar "$jar" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}

start api KTRDR_ROLE=api KTRDR_PORT="$api_port"
start backtest-worker KTRDR_ROLE=worker KTRDR_WORKER_TYPE=backtesting KTRDR_PORT="$backtest_port" \
  KTRDR_WORKER_ID="${KTRDR_BACKTEST_WORKER_ID:-backtest-worker-1}" KTRDR_API_URL="http://127.0.0.1:$api_port"
start training-worker KTRDR_ROLE=worker KTRDR_WORKER_TYPE=training KTRDR_PORT="$training_port" \
  KTRDR_WORKER_ID="${KTRDR_TRAINING_WORKER_ID:-training-worker-1}" KTRDR_API_URL="http://127.0.0.1:$api_port"

if command -v prometheus >/dev/null 2>&1; then
  data=${KTRDR_PROMETHEUS_DATA:-.run/prometheus}
  mkdir -p "$data"
  prometheus --config.file=prometheus/prometheus.local.yml --storage.tsdb.path="$data" \
    --storage.tsdb.retention.time=2d --web.listen-address=127.0.0.1:9090 \
    --enable-feature=exemplar-storage --log.level=warn > >(sed -u "s/^/[prometheus] /") 2>&1 &
  pids+=($!)
  echo "run: Prometheus on http://127.0.0.1:9090 (scraping the API and both workers)"
else
  echo "run: no prometheus binary; install one (apt-get install prometheus) to also start Prometheus"
fi

echo "run: API on http://127.0.0.1:$api_port (docs: /api/v1/docs); Ctrl-C stops everything"
# Stop everything as soon as one process ends.
wait -n "${pids[@]}"
