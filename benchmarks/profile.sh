#!/usr/bin/env bash
# Where each set-up's CPU goes: for each MODE (default: floor tracing), starts LoadTarget as
# benchmarks/run.sh does, warms it up on all cores for WARMUP seconds, pins it to TARGET_CPU (wrk and
# the OTLP sink on LOAD_CPU), warms it again, then records WINDOW seconds of load with JFR
# (jcmd JFR.start settings=profile) while measuring its CPU and requests like run.sh. ProfileSummary
# then attributes the samples to components and writes the "profile" section of
# docs/performance.md (PRINT=1: prints it instead). About 1 minute per set-up. Needs the jar that
# run.sh builds (./mvnw -Pbenchmarks -DskipTests package -pl benchmarks -am), wrk, taskset, jcmd.
#   benchmarks/profile.sh floor tracing
set -euo pipefail
cd "$(dirname "$0")/.."

modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(floor tracing)
warmup=${WARMUP:-20}
window=${WINDOW:-20}
connections=${CONNECTIONS:-16}
target_cpu=${TARGET_CPU:-1}
load_cpu=${LOAD_CPU:-0}
jar=benchmarks/target/benchmarks.jar
out=benchmarks/target/profile
mkdir -p "$out"
for tool in wrk taskset jcmd python3 curl; do
  command -v $tool >/dev/null || { echo "profile.sh: $tool is missing (apt-get install -y wrk util-linux curl python3; jcmd comes with the JDK)" >&2; exit 1; }
done
[ -f "$jar" ] || { echo "profile.sh: $jar is missing: ./mvnw -Pbenchmarks -DskipTests package -pl benchmarks -am" >&2; exit 1; }
clk_tck=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
load() { taskset -c "$load_cpu" wrk -t1 -c"$connections" "$@"; }

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
    java -XX:+UseG1GC -Xmx512m -cp "$jar" io.ktrdr.bench.LoadTarget "$mode" "$port" > "$out/$mode.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/health"; do
    sleep 0.02
    kill -0 $pid 2>/dev/null || { echo "profile.sh: $mode died:"; cat "$out/$mode.log"; exit 1; }
  done
  url="http://127.0.0.1:$port/api/v1/data/AAPL/1d"
  load -d"${warmup}s" "$url" > /dev/null
  taskset -a -p -c "$target_cpu" $pid > /dev/null
  load -d5s "$url" > /dev/null
  jcmd $pid JFR.start name=window settings=profile filename="$out/$mode.jfr" > /dev/null
  cpu_before=$(cpu_ticks $pid)
  load -d"${window}s" "$url" > "$out/wrk-$mode.txt"
  cpu_after=$(cpu_ticks $pid)
  jcmd $pid JFR.stop name=window > /dev/null
  kill $pid; wait $pid 2>/dev/null || true
  pid=
  requests=$(awk '/requests in/ {print $1}' "$out/wrk-$mode.txt")
  cpu=$(awk -v c=$((cpu_after - cpu_before)) -v t="$clk_tck" -v r="$requests" 'BEGIN {printf "%.3f", c * 1e6 / t / r}')
  echo "profile.sh: $mode: $requests requests, $cpu µs of CPU per request (JFR's own cost included)"
  summary_args+=("$mode=$out/$mode.jfr,$requests,$cpu")
done
java -cp "$jar" io.ktrdr.bench.ProfileSummary "$([ "${PRINT:-}" = 1 ] && echo - || echo docs/performance.md)" "${summary_args[@]}"
