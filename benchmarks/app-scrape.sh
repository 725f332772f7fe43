#!/usr/bin/env bash
# The scrape of a realistic app: starts the reference API (ktrdr-app, embedded H2, tracing on, its
# defaults) on a free loopback port, drives a bounded wrk load over a mix of its routes (data,
# operations, health, and 404s), then scrapes its /metrics SCRAPES times in each format Prometheus
# asks for (OpenMetrics text, the same gzipped, protobuf) and writes body bytes, series and
# median/p90 scrape time to benchmarks/target/results/app-scrape.csv. Stops the app. Needs wrk and
# the jars built by run.sh (or: ./mvnw -Pbenchmarks -DskipTests package -pl benchmarks,ktrdr-app -am).
#   APP_LOAD_SECONDS=10 APP_SCRAPES=20 benchmarks/app-scrape.sh
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${APP_LOAD_SECONDS:-10}
scrapes=${APP_SCRAPES:-20}
out=benchmarks/target/results
app_jar=ktrdr-app/target/ktrdr-app.jar
bench_jar=benchmarks/target/benchmarks.jar
mkdir -p "$out"
command -v wrk >/dev/null || { echo "app-scrape.sh: wrk is missing: apt-get install -y wrk" >&2; exit 1; }
for jar in "$app_jar" "$bench_jar"; do
  [ -f "$jar" ] || { echo "app-scrape.sh: $jar is missing: ./mvnw -Pbenchmarks -DskipTests package -pl benchmarks,ktrdr-app -am" >&2; exit 1; }
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run_dir=$(mktemp -d)
secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
(cd "$run_dir" && exec env KTRDR_CLUSTER_SECRET="$secret" KTRDR_ROLE=api KTRDR_PORT="$port" \
  java -Xmx512m -jar "$OLDPWD/$app_jar") > "$out/app-scrape-app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true; wait $app 2>/dev/null || true; rm -rf "$run_dir"' EXIT
deadline=$((SECONDS + 60))
# Ready: the database is up (before that, data routes answer 503).
until curl -sf "http://127.0.0.1:$port/api/v1/health/ready" > /dev/null; do
  kill -0 $app 2>/dev/null || { echo "app-scrape.sh: the app died:" >&2; cat "$out/app-scrape-app.log" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "app-scrape.sh: the app did not answer within 60 s" >&2; exit 1; }
  sleep 0.1
done

# One wrk thread, so one Lua state cycles through the routes in order.
cat > "$run_dir/routes.lua" <<'LUA'
local paths = {
  "/api/v1/data/AAPL/1d", "/api/v1/data/AAPL/1h", "/api/v1/data/symbols",
  "/api/v1/data/timeframes", "/api/v1/health", "/api/v1/operations",
  "/api/v1/operations/no-such-operation", "/api/v1/no-such-route", "/api/v1/data/NOPE/1d",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA
wrk -t1 -c8 -d"${seconds}s" -s "$run_dir/routes.lua" "http://127.0.0.1:$port" > "$out/app-scrape-wrk.txt"
java -cp "$bench_jar" io.ktrdr.bench.AppScrape "http://127.0.0.1:$port/metrics" "$scrapes" "$out/app-scrape.csv"
