#!/usr/bin/env bash
# What one Prometheus costs per scraped series of our services (docs/operations.md#sizing): the
# reference API and one real worker (the packaged jar), plus fleets of simulated workers
# (benchmarks/prometheus-sizing/SimulatedWorkers.java: each a loopback HTTP server serving the
# real worker's /metrics, registered with the API), all discovered through the API's http_sd
# endpoint by one Prometheus (the installed one, 2.42 here). For each fleet size it waits until
# every target is up, lets the head settle, then measures over MEASURE seconds: Prometheus' CPU
# seconds (/proc/PID/stat), its resident memory (VmRSS), its active head series and samples
# appended per second. Prints one table row per fleet size, and writes
# benchmarks/target/prometheus-sizing.md.
#   WORKERS="100 300 600" INTERVAL=5s SETTLE=60 MEASURE=60 benchmarks/prometheus-sizing.sh
# Takes about (SETTLE + MEASURE + 30 s) per fleet size. Needs curl and a built jar
# (./mvnw -B -q -DskipTests package -pl ktrdr-app -am; JAR=path uses another copy). Everything
# listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

workers_list=${WORKERS:-100 300 600}
interval=${INTERVAL:-5s}
settle=${SETTLE:-60}
measure=${MEASURE:-60}
jar=${JAR:-ktrdr-app/target/ktrdr-app.jar}
out=benchmarks/target
mkdir -p "$out"
[ -f "$jar" ] || { echo "prometheus-sizing: $jar is missing: ./mvnw -B -q -DskipTests package -pl ktrdr-app -am" >&2; exit 1; }
command -v prometheus >/dev/null || { echo "prometheus-sizing: prometheus is missing: apt-get install -y prometheus" >&2; exit 1; }
command -v curl >/dev/null || { echo "prometheus-sizing: curl is missing: apt-get install -y curl" >&2; exit 1; }
if ! [[ "$interval" =~ ^([1-9][0-9]*)s$ ]]; then
  echo "prometheus-sizing: INTERVAL=$interval: expected seconds like 5s" >&2
  exit 2
fi
interval_s=${BASH_REMATCH[1]}
clk_tck=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || shuf -i 20000-60000 -n 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export KTRDR_CLUSTER_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
api_port=$(free_port)
worker_port=$(free_port)
KTRDR_ROLE=api KTRDR_PORT=$api_port KTRDR_MAX_WORKERS=5000 KTRDR_WORKER_HEALTH_INTERVAL_MS=30000 \
  KTRDR_LOG_FORMAT=text OTEL_TRACES_EXPORTER=none \
  java -Xmx512m -jar "$jar" > "$work/api.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$api_port/api/v1/health/ready" >/dev/null; do sleep 1; done
KTRDR_ROLE=worker KTRDR_SIMULATION_STEP_DELAY_MS=2 KTRDR_WORKER_TYPE=backtesting KTRDR_WORKER_ID=backtest-worker-1 KTRDR_PORT=$worker_port \
  KTRDR_API_URL=http://127.0.0.1:$api_port KTRDR_LOG_FORMAT=text OTEL_TRACES_EXPORTER=none \
  java -Xmx256m -jar "$jar" > "$work/worker.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$api_port/api/v1/workers" | grep -q backtest-worker-1; do sleep 1; done
# One backtest first: the worker then also has its operation metrics, as in production.
operation=
for _ in $(seq 60); do  # until the API has checked the new worker's health
  operation=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"symbol":"AAPL","timeframe":"1d"}' \
    "http://127.0.0.1:$api_port/api/v1/backtests/start" | sed -n 's/.*"operation_id":"\([^"]*\)".*/\1/p')
  [ -n "$operation" ] && break
  sleep 1
done
[ -n "$operation" ] || { echo "prometheus-sizing: no backtest could start" >&2; exit 1; }
until curl -sf "http://127.0.0.1:$api_port/api/v1/operations/$operation" | grep -q '"status":"completed"'; do sleep 1; done
curl -sf "http://127.0.0.1:$worker_port/metrics" > "$work/body.txt"
series_per_worker=$(grep -vc '^#' "$work/body.txt")
echo "prometheus-sizing: a real worker's /metrics: $series_per_worker series, $(wc -c < "$work/body.txt") bytes"

query() { # instant query -> the first value
  curl -sf "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" \
    | sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}
own() { # one of Prometheus' own metrics, from its /metrics
  curl -sf "http://127.0.0.1:$prom_port/metrics" \
    | awk -v name="$1" '$1 == name || index($1, name "{") == 1 {sum += $2} END {printf "%.0f\n", sum}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

header="| simulated workers | targets | active series | samples/s | CPU s/s | CPU s per 10k series per scrape | RSS MiB | RSS MiB per 10k series |"
rule="|---|---|---|---|---|---|---|---|"
echo "$header" | tee "$out/prometheus-sizing.md"
echo "$rule" | tee -a "$out/prometheus-sizing.md"
for n in $workers_list; do
  fleet_in="$work/fleet-$n.in"
  mkfifo "$fleet_in"
  java -Xmx256m benchmarks/prometheus-sizing/SimulatedWorkers.java "$work/body.txt" "$n" \
    "http://127.0.0.1:$api_port" "sim$n" < "$fleet_in" > "$work/fleet-$n.out" 2>&1 &
  fleet=$!
  pids+=($fleet)
  exec {hold}>"$fleet_in"   # the fleet serves while this stays open
  until grep -qs "^ready $n" "$work/fleet-$n.out"; do
    kill -0 "$fleet" 2>/dev/null || { cat "$work/fleet-$n.out" >&2; exit 1; }
    sleep 1
  done
  prom_port=$(free_port)
  cat > "$work/prometheus-$n.yml" <<YAML
global:
  scrape_interval: $interval
  scrape_timeout: $interval
scrape_configs:
  - job_name: ktrdr-api
    static_configs:
      - targets: ['127.0.0.1:$api_port']
  - job_name: ktrdr-workers
    http_sd_configs:
      - url: http://127.0.0.1:$api_port/api/v1/workers/targets
        refresh_interval: 5s
YAML
  prometheus --config.file="$work/prometheus-$n.yml" --storage.tsdb.path="$work/data-$n" \
    --web.listen-address=127.0.0.1:$prom_port > "$work/prometheus-$n.log" 2>&1 &
  prom=$!
  pids+=($prom)
  until curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null; do sleep 1; done
  targets=$((n + 2))
  until [ "$(query 'count(up == 1)')" = "$targets" ]; do sleep 2; done
  sleep "$settle"
  t0=$(cpu_ticks $prom); s0=$(own prometheus_tsdb_head_samples_appended_total); start=$(date +%s.%N)
  sleep "$measure"
  t1=$(cpu_ticks $prom); s1=$(own prometheus_tsdb_head_samples_appended_total); end=$(date +%s.%N)
  rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$prom/status")
  series=$(own prometheus_tsdb_head_series)
  awk -v n="$n" -v targets="$targets" -v series="$series" -v t0="$t0" -v t1="$t1" -v tck="$clk_tck" \
      -v s0="$s0" -v s1="$s1" -v start="$start" -v end="$end" -v rss="$rss_kib" -v iv="$interval_s" 'BEGIN {
    secs = end - start; cpu = (t1 - t0) / tck / secs; rate = (s1 - s0) / secs;
    printf "| %d | %d | %d | %.0f | %.3f | %.4f | %.0f | %.0f |\n", n, targets, series, rate, cpu,
      cpu * iv / (series / 10000), rss / 1024, rss / 1024 / (series / 10000) }' | tee -a "$out/prometheus-sizing.md"
  kill "$prom"; wait "$prom" 2>/dev/null || true
  exec {hold}>&-
  wait "$fleet" 2>/dev/null || true
  rm -rf "$work/data-$n"
done
echo "prometheus-sizing: interval $interval, settle ${settle}s, measured ${measure}s, $(nproc) cores; $(prometheus --version 2>&1 | head -1)"
