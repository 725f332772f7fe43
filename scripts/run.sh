#!/usr/bin/env bash
# Runs the KTRDR reference app on localhost with embedded defaults, no Docker:
#   API                 http://127.0.0.1:8000   KTRDR_API_PORT (Swagger UI at /api/v1/docs, metrics at /metrics)
#   backtesting worker  http://127.0.0.1:5003   KTRDR_BACKTEST_WORKER_PORT
#   training worker     http://127.0.0.1:5004   KTRDR_TRAINING_WORKER_PORT
#   Prometheus          http://127.0.0.1:9090   KTRDR_PROMETHEUS_PORT (only when a `prometheus` binary is on the PATH;
#                                               KTRDR_PROMETHEUS_SCRAPE_INTERVAL, default 15s)
#   Alertmanager        http://127.0.0.1:9093   KTRDR_ALERTMANAGER_PORT (with Prometheus, when an `alertmanager` or
#                                               `prometheus-alertmanager` binary is on the PATH; no notifications
#                                               are sent, alerts are listed in its UI and by amtool; no cluster port)
# A busy API or worker port stops the run with a message; a busy Prometheus port (optional) only
# skips Prometheus. Prometheus' configuration is generated from these ports
# (scripts/prometheus-local-config.sh): it scrapes the API and discovers the workers from the API.
# With /metrics protected (KTRDR_METRICS_BEARER_TOKEN or KTRDR_METRICS_BEARER_TOKEN_FILE), Prometheus
# sends the same token, read from a file. Generated files and Prometheus' data go to KTRDR_RUN_DIR
# (default .run). Builds the jar first when it is missing or older than the main sources. Ctrl-C stops
# everything. Every KTRDR_* / OTEL_* variable set here reaches all processes (docs/configuration.md), e.g.
#   KTRDR_LOG_FORMAT=text scripts/run.sh
#   KTRDR_API_PORT=8080 KTRDR_PROMETHEUS_PORT=9191 scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

api_port=${KTRDR_API_PORT:-8000}
backtest_port=${KTRDR_BACKTEST_WORKER_PORT:-5003}
training_port=${KTRDR_TRAINING_WORKER_PORT:-5004}
prometheus_port=${KTRDR_PROMETHEUS_PORT:-9090}
alertmanager_port=${KTRDR_ALERTMANAGER_PORT:-9093}
run_dir=${KTRDR_RUN_DIR:-.run}
jar=ktrdr-app/target/ktrdr-app.jar

for setting in "KTRDR_API_PORT=$api_port" "KTRDR_BACKTEST_WORKER_PORT=$backtest_port" \
    "KTRDR_TRAINING_WORKER_PORT=$training_port" "KTRDR_PROMETHEUS_PORT=$prometheus_port" \
    "KTRDR_ALERTMANAGER_PORT=$alertmanager_port"; do
  value=${setting#*=}
  if ! [[ "$value" =~ ^[0-9]+$ ]] || [ "$value" -lt 1 ] || [ "$value" -gt 65535 ]; then
    echo "run: $setting: expected a port number 1-65535" >&2
    exit 2
  fi
done

# busy PORT: something on 127.0.0.1 already accepts connections on PORT.
busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
for setting in "KTRDR_API_PORT=$api_port" "KTRDR_BACKTEST_WORKER_PORT=$backtest_port" \
    "KTRDR_TRAINING_WORKER_PORT=$training_port"; do
  if busy "${setting#*=}"; then
    echo "run: port ${setting#*=} is in use; stop what uses it or choose another: ${setting%%=*}=<port>" >&2
    exit 1
  fi
done

# Only what goes into the jar counts (a changed test does not rebuild it).
if [ ! -f "$jar" ] || [ -n "$(find ktrdr-telemetry/src/main ktrdr-telemetry-logback/src/main ktrdr-app/src/main pom.xml ktrdr-app/pom.xml ktrdr-telemetry/pom.xml ktrdr-telemetry-logback/pom.xml -newer "$jar" -print -quit)" ]; then
  echo "run: building $jar"
  ./mvnw -B -q -ntp -DskipTests -Dspotless.check.skip=true package -pl ktrdr-app -am
fi

# The API and its workers authenticate each other with a shared secret (docs/security.md):
# unless one is given, a random one is made once and kept in .run/ (readable by this user only).
if [ -z "${KTRDR_CLUSTER_SECRET:-}" ] && [ -z "${KTRDR_CLUSTER_SECRET_FILE:-}" ]; then
  mkdir -p .run
  if [ ! -s .run/cluster-secret ]; then
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > .run/cluster-secret)
  fi
  export KTRDR_CLUSTER_SECRET_FILE="$PWD/.run/cluster-secret"
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

# Wait until the API answers HTTP (the JVMs take a few seconds): only then is it worth announcing,
# and only then can Prometheus discover the workers from it without a failed first refresh.
api_pid=${pids[0]}
until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$api_port/api/v1/health"; do
  if ! kill -0 "$api_pid" 2>/dev/null; then
    echo "run: the API exited before it answered; its [api] lines above say why" >&2
    exit 1
  fi
  sleep 0.5
done

if ! command -v prometheus >/dev/null 2>&1; then
  echo "run: no prometheus binary; install one (apt-get install prometheus) to also start Prometheus"
elif busy "$prometheus_port"; then
  echo "run: port $prometheus_port is in use, so Prometheus is not started (the app runs without it);" \
       "choose another port with KTRDR_PROMETHEUS_PORT=<port>"
else
  mkdir -p "$run_dir/prometheus"
  # Absolute paths: Prometheus resolves relative ones against its configuration file's directory.
  run_dir=$(cd "$run_dir" && pwd)
  token_file=""
  if [ -n "${KTRDR_METRICS_BEARER_TOKEN_FILE:-}" ]; then
    token_file=$(realpath "$KTRDR_METRICS_BEARER_TOKEN_FILE")
  elif [ -n "${KTRDR_METRICS_BEARER_TOKEN:-}" ]; then
    token_file="$run_dir/metrics-token"
    (umask 077 && printf '%s' "$KTRDR_METRICS_BEARER_TOKEN" > "$token_file")
  fi
  # An Alertmanager for Prometheus to send to, so that alerts take the path they take in the stack
  # (and PrometheusNoAlertmanager does not fire). Loopback only; clustering off (no port 9094).
  alertmanager=$(command -v alertmanager || command -v prometheus-alertmanager || true)
  alerting_port=""
  if [ -z "$alertmanager" ]; then
    echo "run: no alertmanager binary; install one (apt-get install prometheus-alertmanager) to also start" \
         "Alertmanager. Without it PrometheusNoAlertmanager (critical) fires after 5 minutes"
  elif busy "$alertmanager_port"; then
    echo "run: port $alertmanager_port is in use, so Alertmanager is not started;" \
         "choose another port with KTRDR_ALERTMANAGER_PORT=<port>"
  else
    mkdir -p "$run_dir/alertmanager"
    printf '%s\n' "# Written by scripts/run.sh: alerts are kept and listed, nothing is sent." \
      "route:" "  receiver: local" "  group_by: [alertname]" "receivers:" "  - name: local" \
      > "$run_dir/alertmanager.yml"
    "$alertmanager" --config.file="$run_dir/alertmanager.yml" --storage.path="$run_dir/alertmanager" \
      --web.listen-address="127.0.0.1:$alertmanager_port" --cluster.listen-address= --log.level=warn \
      > >(sed -u "s/^/[alertmanager] /") 2>&1 &
    pids+=($!)
    alerting_port=$alertmanager_port
    echo "run: Alertmanager on http://127.0.0.1:$alertmanager_port (receives Prometheus' alerts, sends nothing)"
  fi
  KTRDR_API_PORT=$api_port KTRDR_PROMETHEUS_PORT=$prometheus_port KTRDR_METRICS_TOKEN_FILE=$token_file \
    KTRDR_ALERTMANAGER_PORT=$alerting_port scripts/prometheus-local-config.sh > "$run_dir/prometheus.yml"
  prometheus --config.file="$run_dir/prometheus.yml" --storage.tsdb.path="$run_dir/prometheus" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$prometheus_port" \
    --enable-feature=exemplar-storage --log.level=warn > >(sed -u "s/^/[prometheus] /") 2>&1 &
  pids+=($!)
  echo "run: Prometheus on http://127.0.0.1:$prometheus_port (scraping the API, discovering the workers from it)"
fi

echo "run: API on http://127.0.0.1:$api_port (docs: /api/v1/docs); Ctrl-C stops everything"
# Stop everything as soon as one process ends.
wait -n "${pids[@]}"
