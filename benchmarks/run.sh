#!/usr/bin/env bash
# Reproduces docs/performance.md and docs/performance.png: JMH benchmarks (their sections of the
# page), then a wrk load test on loopback of eight set-ups of the same Javalin app (bare; ktrdr
# metrics; Micrometer; client_java; ktrdr tracing at 100 %, 10 % and 1 %; bare under the
# OpenTelemetry Java agent), interleaved over ROUNDS rounds. For each run it measures, over exactly
# the measured wrk window, the target JVM's CPU time (/proc/<pid>/stat) and the bytes its threads
# allocated, per request. Needs wrk (apt-get install wrk) and curl. Takes about 20-25 minutes.
#   ROUNDS=5 DURATION=10 CONNECTIONS=16 benchmarks/run.sh
# JMH_ARGS="-wi 1 -i 1" gives a quick, noisy JMH smoke run. SKIP_JMH=1 (development only) skips
# JMH and the sections written from its results; the page keeps those sections as they were.
# KEEP_ENV: the keep-errors/keep-slow keys of the tracing-10 and tracing-1 set-ups (default below);
# KEEP_ENV= runs those set-ups on the ratio sampler alone.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-5}
duration=${DURATION:-10}
warmup=5
connections=${CONNECTIONS:-16}
keep_env=${KEEP_ENV-KTRDR_TRACES_KEEP_ERRORS=true KTRDR_TRACES_KEEP_SLOWER_THAN=500ms}
setups=(bare metrics micrometer client_java tracing tracing-10 tracing-1 agent)
out=benchmarks/target/results
mkdir -p "$out"
for tool in wrk curl; do
  command -v $tool >/dev/null || { echo "run.sh: $tool is missing: apt-get install -y $tool" >&2; exit 1; }
done
clk_tck=$(getconf CLK_TCK)
begin=$(date +%s)
elapsed() { local s=$(( $(date +%s) - begin )); printf '%d:%02d' $((s / 60)) $((s % 60)); }
say() { echo "run.sh [$(elapsed)]: $*"; }

say "building"
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
  echo "load:  $rounds rounds x ${#setups[@]} set-ups, wrk -t1 -c$connections -d${duration}s after a ${warmup} s warm-up, same JVM flags (-Xmx512m)"
  echo "keep:  tracing-10/tracing-1 with ${keep_env:-(no keep keys)}"
  echo "ticks: CLK_TCK=$clk_tck"
} > "$out/machine.txt"

if [ "${SKIP_JMH:-}" = 1 ]; then
  say "SKIP_JMH=1: no JMH run; its sections of the page stay as they are (development only)"
else
  say "JMH (about 9 minutes)"
  java -jar "$jar" 'RequestPathBenchmark|FilterBenchmark|ScrapeBenchmark|HistogramModeBenchmark|KeepSamplerBenchmark' ${JMH_ARGS:-} -prof gc -rf json -rff "$out/jmh.json" > "$out/jmh.txt"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# utime + stime of a whole process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat, counted
# after the parenthesised command name).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# The same, summed over the JVM's JIT compiler threads (HotSpot names them "C1/C2 CompilerThread<n>",
# cut to 15 characters by the kernel): the share of the window still spent compiling.
jit_ticks() {
  cat /proc/"$1"/task/*/stat 2>/dev/null \
    | awk '/\((C1|C2) CompilerThre\)/ {sub(/^.*\) /, ""); s += $12 + $13} END {print s + 0}'
}

sink_port=$(free_port)
java -Xmx256m -cp "$jar" io.ktrdr.bench.OtlpSink "$sink_port" > "$out/sink.log" 2>&1 &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$sink_port/stats" > /dev/null; do
  sleep 0.05
  kill -0 $sink 2>/dev/null || { echo "run.sh: the OTLP sink died:"; cat "$out/sink.log"; exit 1; }
done

echo "mode,round,rps,p99_ms,startup_ms,rss_mb,requests,cpu_ms_per_1k,alloc_bytes_per_req,sink_cpu_ms_per_1k,export_bytes_per_req,jit_cpu_ms_per_1k" > "$out/load.csv"
total=$(( rounds * ${#setups[@]} ))
n=0
for round in $(seq 1 "$rounds"); do
  # Each round starts one set-up later than the previous one, so no set-up always runs first.
  for i in $(seq 0 $(( ${#setups[@]} - 1 ))); do
    mode=${setups[$(( (i + round - 1) % ${#setups[@]} ))]}
    n=$(( n + 1 ))
    say "round $round/$rounds, $mode ($n/$total)"
    port=$(free_port)
    stats_port=$(free_port)
    args=(-Xmx512m -cp "$jar")
    env_vars=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_BSP_SCHEDULE_DELAY=1000)
    target_mode=$mode
    case $mode in
      tracing-10|tracing-1)
        ratio=$([ "$mode" = tracing-10 ] && echo 0.1 || echo 0.01)
        read -ra keep <<< "$keep_env"
        env_vars+=(OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG="$ratio" ${keep[@]+"${keep[@]}"})
        target_mode=tracing ;;
      agent)
        args=(-javaagent:"$agent" "${args[@]}")
        env_vars+=(OTEL_SERVICE_NAME=load-target OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=prometheus
                   OTEL_EXPORTER_PROMETHEUS_PORT="$(free_port)" OTEL_LOGS_EXPORTER=none
                   OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
        target_mode=bare ;;
    esac
    started=$(date +%s%N)
    env "${env_vars[@]}" java "${args[@]}" io.ktrdr.bench.LoadTarget "$target_mode" "$port" "$stats_port" \
      > "$out/$mode-$round.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/health" > /dev/null; do
      sleep 0.02
      kill -0 $pid 2>/dev/null || { echo "run.sh: $mode died:"; cat "$out/$mode-$round.log"; exit 1; }
    done
    startup_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    url="http://127.0.0.1:$port/api/v1/data/AAPL/1d"
    wrk -t1 -c"$connections" -d${warmup}s "$url" > /dev/null
    # The measured window: counters read right before and right after the measured wrk. The HTTP
    # reads of the allocation counter fall outside the CPU window.
    read -r exports_before bytes_before < <(curl -sf "http://127.0.0.1:$sink_port/stats")
    alloc_before=$(curl -sf "http://127.0.0.1:$stats_port/allocated")
    cpu_before=$(cpu_ticks $pid)
    jit_before=$(jit_ticks $pid)
    sink_before=$(cpu_ticks $sink)
    wrk -t1 -c"$connections" -d"${duration}s" --latency "$url" > "$out/wrk-$mode-$round.txt"
    cpu_after=$(cpu_ticks $pid)
    jit_after=$(jit_ticks $pid)
    sink_after=$(cpu_ticks $sink)
    alloc_after=$(curl -sf "http://127.0.0.1:$stats_port/allocated")
    read -r exports_after bytes_after < <(curl -sf "http://127.0.0.1:$sink_port/stats")
    rss_mb=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$pid/status)
    kill $pid; wait $pid 2>/dev/null || true
    w="$out/wrk-$mode-$round.txt"
    if grep -q 'Non-2xx' "$w"; then
      echo "run.sh: $mode answered errors, its figures would not mean anything:"; cat "$w"; exit 1
    fi
    if grep 'Socket errors' "$w" >&2; then echo "run.sh: $mode: wrk saw socket errors (above); kept" >&2; fi
    requests=$(awk '/requests in/ {print $1}' "$w")
    rps=$(awk '/Requests\/sec/ {print $2}' "$w")
    p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$w")
    figures=$(awk -v r="$requests" -v t="$clk_tck" -v c=$(( cpu_after - cpu_before )) -v a=$(( alloc_after - alloc_before )) \
      -v s=$(( sink_after - sink_before )) -v b=$(( bytes_after - bytes_before )) -v j=$(( jit_after - jit_before )) \
      'BEGIN {printf "%.2f,%.0f,%.3f,%.1f,%.2f", c * 1e6 / t / r, a / r, s * 1e6 / t / r, b / r, j * 1e6 / t / r}')
    echo "$mode,$round,$rps,$p99,$startup_ms,$rss_mb,$requests,$figures" | tee -a "$out/load.csv"
  done
done

say "writing docs/performance.md and docs/performance.png"
java -cp "$jar" io.ktrdr.bench.Report "$out/load.csv" "$out/machine.txt" docs/performance.md docs/performance.png
if [ "${SKIP_JMH:-}" != 1 ]; then
  # Sections written from the JMH results (each replaces its own marked block of the page).
  java -cp "$jar" io.ktrdr.bench.HistogramModeReport "$out/jmh.json" docs/performance.md > /dev/null
  java -cp "$jar" io.ktrdr.bench.RequestCostReport "$out/jmh.json" docs/performance.md > /dev/null
  say "the reference API's scrape after a load run"
  benchmarks/app-scrape.sh
  java -cp "$jar" io.ktrdr.bench.ScrapeReport "$out/jmh.json" "$out/app-scrape.csv" docs/performance.md > /dev/null
fi
say "done in $(elapsed): wrote docs/performance.md and docs/performance.png"
