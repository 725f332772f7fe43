#!/usr/bin/env bash
# Reproduces docs/performance.md and docs/performance.png: JMH benchmarks (per-request cost with
# allocation, scrape cost next to client_java), then a wrk load test on loopback of four set-ups
# (bare Javalin, + metrics, + metrics and tracing, bare under the OpenTelemetry Java agent),
# interleaved over ROUNDS rounds. Needs wrk (apt-get install wrk). Takes about 15 minutes.
#   ROUNDS=3 DURATION=15 CONNECTIONS=16 benchmarks/run.sh
# JMH_ARGS="-wi 1 -i 1" gives a quick, noisy smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-3}
duration=${DURATION:-15}
connections=${CONNECTIONS:-16}
out=benchmarks/target/results
mkdir -p "$out"
command -v wrk >/dev/null || { echo "run.sh: wrk is missing: apt-get install -y wrk" >&2; exit 1; }

echo "run.sh: building"
./mvnw -B -q -ntp -Pbenchmarks -DskipTests -Dspotless.check.skip=true package -pl benchmarks,ktrdr-app -am
./mvnw -B -q -ntp org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  -Dartifact=io.opentelemetry.javaagent:opentelemetry-javaagent:2.31.0 -DoutputDirectory=benchmarks/target \
  -Dmdep.stripVersion=true
jar=benchmarks/target/benchmarks.jar
agent=benchmarks/target/opentelemetry-javaagent.jar

{
  echo "date:  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) cores)"
  echo "mem:   $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "os:    $(uname -sr)"
  echo "java:  $(java -version 2>&1 | head -1)"
  echo "wrk:   $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "load:  $rounds rounds x 4 set-ups, wrk -t1 -c$connections -d${duration}s after a 5 s warm-up, same JVM flags (-Xmx512m)"
} > "$out/machine.txt"

echo "run.sh: JMH (about 4 minutes)"
java -jar "$jar" 'RequestPathBenchmark|ScrapeBenchmark|HistogramModeBenchmark' ${JMH_ARGS:-} -prof gc -rf json -rff "$out/jmh.json" > "$out/jmh.txt"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
sink_port=$(free_port)
java -Xmx256m -cp "$jar" io.ktrdr.bench.OtlpSink "$sink_port" > "$out/sink.log" 2>&1 &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT

echo "mode,round,rps,p99_ms,startup_ms,rss_mb" > "$out/load.csv"
for round in $(seq 1 "$rounds"); do
  for mode in bare metrics tracing agent; do
    port=$(free_port)
    args=(-Xmx512m -cp "$jar")
    env_vars=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_BSP_SCHEDULE_DELAY=1000)
    target_mode=$mode
    if [ "$mode" = agent ]; then
      args=(-javaagent:"$agent" "${args[@]}")
      env_vars+=(OTEL_SERVICE_NAME=load-target OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=prometheus
                 OTEL_EXPORTER_PROMETHEUS_PORT="$(free_port)" OTEL_LOGS_EXPORTER=none
                 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
      target_mode=bare
    fi
    started=$(date +%s%N)
    env "${env_vars[@]}" java "${args[@]}" io.ktrdr.bench.LoadTarget "$target_mode" "$port" > "$out/$mode-$round.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/health" > /dev/null; do
      sleep 0.02
      kill -0 $pid 2>/dev/null || { echo "run.sh: $mode died:"; cat "$out/$mode-$round.log"; exit 1; }
    done
    startup_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    url="http://127.0.0.1:$port/api/v1/data/AAPL/1d"
    wrk -t1 -c"$connections" -d5s "$url" > /dev/null
    wrk -t1 -c"$connections" -d"${duration}s" --latency "$url" > "$out/wrk-$mode-$round.txt"
    rss_mb=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$pid/status)
    kill $pid; wait $pid 2>/dev/null || true
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk-$mode-$round.txt")
    p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$out/wrk-$mode-$round.txt")
    echo "$mode,$round,$rps,$p99,$startup_ms,$rss_mb" | tee -a "$out/load.csv"
  done
done

java -cp "$jar" io.ktrdr.bench.Report "$out/jmh.json" "$out/load.csv" "$out/machine.txt" docs/performance.md docs/performance.png
java -cp "$jar" io.ktrdr.bench.HistogramModeReport "$out/jmh.json" docs/performance.md > /dev/null
echo "run.sh: the reference API's scrape after a load run"
benchmarks/app-scrape.sh
java -cp "$jar" io.ktrdr.bench.ScrapeReport "$out/jmh.json" "$out/app-scrape.csv" docs/performance.md > /dev/null
echo "run.sh: wrote docs/performance.md and docs/performance.png"
