#!/usr/bin/env bash
# Reproduces docs/performance.md and docs/performance.png: JMH benchmarks and the export-cost run
# (their sections of the page), then a wrk load test on loopback of the same Javalin app in each
# set-up (bare twice, OpenTelemetry alone, ktrdr metrics, ktrdr tracing at 100 % and at 1 % with
# keep-errors, bare under the OpenTelemetry Java agent), interleaved over ROUNDS rounds.
#
# Each set-up runs in one JVM for the whole load test. In round 1 it starts on all cores (nothing
# else busy but the parked JVMs' idle threads), its first successful scrape is timed, and wrk warms
# it up in 3 s chunks until its JIT compiler threads use under 2 % of its CPU in a chunk (measured);
# then it is pinned to TARGET_CPU (wrk and the OTLP sink run on LOAD_CPU) and loaded there until the
# JIT is quiet in two chunks in a row, at most WARMUP_MAX (90) seconds in all: C2 has a long queue
# when it shares one core with a saturated server (tracing and the agent need about a minute). Each window
# measures over DURATION seconds its CPU time (/proc/<pid>/stat, all threads), the bytes its threads
# allocated and the JIT's share of that window, per request; a window in which the hypervisor
# (steal) or other processes took more than DISTURBED_MAX (5 %) of the target's core is measured
# again (at most DISTURBED_RETRIES times, default 1). In round 1 the window lasts until the JVM has
# been under load for a minute (at least DURATION), and its resident memory is read then. Between
# its windows a JVM is parked on LOAD_CPU; in later rounds it is moved back to TARGET_CPU and loaded
# in chunks until one is quiet (at most SETTLE_MAX, 9 s) before its window. The second bare set-up
# (bare-b, its own JVM) gives the run's resolution: how far two identical set-ups land apart.
#
# Needs wrk, curl, taskset, python3 (apt-get install -y wrk curl util-linux python3). About 22 min (JMH 7, export cost 1, load test 12).
#   ROUNDS=3 DURATION=10 CONNECTIONS=16 benchmarks/run.sh
#   benchmarks/run.sh --quick                  # a change's A/B: 2 rounds, 5 set-ups, no JMH (~7 min)
#   benchmarks/run.sh --quick --against main   # ...each set-up also run from REV's build, same rounds
# --quick writes benchmarks/target/results-quick/ and prints its tables; it leaves the docs alone.
# SETUPS="bare bare-b metrics ..." picks set-ups (also client_java, micrometer, tracing-10). SKIP_JMH=1
# (development only) skips JMH and the sections written from it; the page keeps them as they were.
# KEEP_ENV: the keep-errors/keep-slow keys of tracing-10 and tracing-1 (default below).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
against=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --against) against=${2:?--against needs a git revision}; shift ;;
    *) echo "run.sh: unknown argument $1 (--quick, --against REV)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$against" ] && [ $quick = 0 ] && { echo "run.sh: --against goes with --quick" >&2; exit 2; }

if [ $quick = 1 ]; then
  rounds=${ROUNDS:-2}
  read -ra setups <<< "${SETUPS:-bare bare-b floor metrics tracing}"
  out=benchmarks/target/results-quick
  long_round=0
else
  rounds=${ROUNDS:-3}
  read -ra setups <<< "${SETUPS:-bare bare-b floor metrics tracing tracing-1 agent}"
  out=benchmarks/target/results
  long_round=${LONG_ROUND:-1}
fi
duration=${DURATION:-10}
connections=${CONNECTIONS:-16}
warmup_chunk=3
warmup_min=${WARMUP_MIN:-6}
warmup_max=${WARMUP_MAX:-90}
settle_max=${SETTLE_MAX:-9}
jit_quiet=0.02
disturbed_max=${DISTURBED_MAX:-0.05}
disturbed_retries=${DISTURBED_RETRIES:-1}
load_minute=60
target_cpu=${TARGET_CPU:-1}
load_cpu=${LOAD_CPU:-0}
keep_env=${KEEP_ENV-KTRDR_TRACES_KEEP_ERRORS=true KTRDR_TRACES_KEEP_SLOWER_THAN=500ms}
jvm_flags=(-XX:+UseG1GC -Xmx512m)
mkdir -p "$out"
for tool in wrk curl taskset python3; do
  command -v $tool >/dev/null || { echo "run.sh: $tool is missing: apt-get install -y $tool" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "run.sh: needs 2 cores (target and load generator on separate ones)" >&2; exit 1; }
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
base_jar=
if [ -n "$against" ]; then
  base_dir=$(mktemp -d)
  say "building $against in $base_dir for the A/B"
  git worktree add -q --detach "$base_dir/src" "$against"
  (cd "$base_dir/src" && ./mvnw -B -q -ntp -Pbenchmarks -DskipTests -Dspotless.check.skip=true package -pl benchmarks -am)
  base_jar="$base_dir/benchmarks.jar"
  cp "$base_dir/src/benchmarks/target/benchmarks.jar" "$base_jar"
  git worktree remove --force "$base_dir/src"
  with_base=()
  for mode in "${setups[@]}"; do with_base+=("$mode" "$mode@base"); done
  setups=("${with_base[@]}")
fi

{
  echo "date:  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) cores)"
  echo "mem:   $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "os:    $(uname -sr)"
  echo "java:  $(java -version 2>&1 | head -1)"
  echo "wrk:   $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "load:  $rounds rounds x ${#setups[@]} set-ups, wrk -t1 -c$connections -d${duration}s, same JVM flags (${jvm_flags[*]})"
  echo "warm:  one JVM per set-up for all rounds; in round 1 ${warmup_chunk} s chunks until JIT < $(awk -v q=$jit_quiet 'BEGIN {print q * 100}') % of a chunk's CPU on all cores (at least ${warmup_min} s), then pinned, again until two chunks in a row are quiet (at most ${warmup_max} s in all)"
  echo "park:  between its windows a JVM waits on CPU $load_cpu; back on CPU $target_cpu, chunks until one is quiet (at most ${settle_max} s) before each later window"
  echo "pins:  target on CPU $target_cpu; wrk and the OTLP sink on CPU $load_cpu"
  [ "$long_round" = 1 ] && echo "long:  round 1 measures until ${load_minute} s of load; RSS read then"
  echo "keep:  tracing-10/tracing-1 with ${keep_env:-(no keep keys)}"
  echo "ticks: CLK_TCK=$clk_tck"
  echo "quiet: a window in which steal and other processes took over $(awk -v m=$disturbed_max 'BEGIN {print m * 100}') % of CPU $target_cpu is measured again (at most $disturbed_retries times)"
  [ -n "$against" ] && echo "ab:    @base = $against ($(git rev-parse --short "$against")), the rest = $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + uncommitted changes')"
} > "$out/machine.txt"

if [ $quick = 1 ] || [ "${SKIP_JMH:-}" = 1 ]; then
  say "no JMH run (--quick or SKIP_JMH=1); its sections of the page stay as they are"
else
  say "JMH (about 7 minutes)"
  java -jar "$jar" 'RequestPathBenchmark|FilterBenchmark|ScrapeBenchmark|HistogramModeBenchmark|KeepSamplerBenchmark' ${JMH_ARGS:-} -prof gc -rf json -rff "$out/jmh.json" > "$out/jmh.txt"
  say "export cost per span, by stage (about a minute)"
  java -cp "$jar" io.ktrdr.bench.ExportCost --spans 30000 docs/performance.md | tee "$out/export-cost.txt"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# utime + stime of a whole process (all its threads, ended ones included), in clock ticks (fields
# 14 and 15 of /proc/<pid>/stat, counted after the parenthesised command name).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# The same, summed over the JVM's JIT compiler threads (HotSpot names them "C1/C2 CompilerThread<n>",
# cut to 15 characters by the kernel).
jit_ticks() {
  cat /proc/"$1"/task/*/stat 2>/dev/null \
    | awk '/\((C1|C2) CompilerThre\)/ {sub(/^.*\) /, ""); s += $12 + $13} END {print s + 0}'
}
load() { taskset -c "$load_cpu" wrk -t1 -c"$connections" "$@"; }
# The target's core from /proc/stat: its busy ticks (user, nice, system, irq, softirq), the ticks the
# hypervisor took from it (steal) and all its ticks. Busy minus the target's own ticks is other
# processes' work there; steal is other VMs'.
core_ticks() {
  awk -v c="cpu$target_cpu" '$1 == c {print $2 + $3 + $4 + $7 + $8, $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat
}

sink_port=$(free_port)
taskset -c "$load_cpu" java -Xmx256m -cp "$jar" io.ktrdr.bench.OtlpSink "$sink_port" > "$out/sink.log" 2>&1 &
sink=$!
# One JVM per set-up, alive for the whole load test: started and warmed up in round 1, parked on
# LOAD_CPU between its windows. All of them, and the sink, go when run.sh stops (an error, Ctrl-C).
declare -A pid_of port_of stats_of log_of first_scrape_of warm_of rss_of load_start_of
trap 'kill $sink "${pid_of[@]}" 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$sink_port/stats" > /dev/null; do
  sleep 0.05
  kill -0 $sink 2>/dev/null || { echo "run.sh: the OTLP sink died:"; cat "$out/sink.log"; exit 1; }
done

# Fails run.sh with what is known of a set-up whose JVM is gone or stopped answering.
died() {
  echo "run.sh: $1 $2 ($(kill -0 "${pid_of[$1]}" 2>/dev/null && echo 'still running' || echo 'its JVM is gone')); its log:" >&2
  tail -20 "${log_of[$1]}" >&2
  exit 1
}
url_of() { echo "http://127.0.0.1:${port_of[$1]}/api/v1/data/AAPL/1d"; }
# One warm-up chunk of load on set-up $1; prints 1 when its compiler threads used under jit_quiet of
# the JVM's CPU in it.
quiet_chunk() {
  local p=${pid_of[$1]} c0 j0 c1 j1
  c0=$(cpu_ticks "$p"); j0=$(jit_ticks "$p")
  load -d${warmup_chunk}s "$(url_of "$1")" > /dev/null
  c1=$(cpu_ticks "$p"); j1=$(jit_ticks "$p")
  awk -v c=$((c1 - c0)) -v j=$((j1 - j0)) -v q=$jit_quiet 'BEGIN {print (c > 0 && j / c < q) ? 1 : 0}'
}
# Loads set-up $1, pinned where it is, in chunks until $2 chunks in a row were quiet and the clock
# (date +%s) has passed $3, or until it has passed $4; prints 1 when they were quiet.
until_quiet() {
  local in_a_row=0
  until { [ $in_a_row -ge "$2" ] && [ "$(date +%s)" -ge "$3" ]; } || [ "$(date +%s)" -ge "$4" ]; do
    if [ "$(quiet_chunk "$1")" = 1 ]; then in_a_row=$(( in_a_row + 1 )); else in_a_row=0; fi
  done
  [ $in_a_row -ge "$2" ] && echo 1 || echo 0
}
# The bytes set-up $1's threads allocated so far.
allocated() { curl -sf "http://127.0.0.1:${stats_of[$1]}/allocated" || died "$1" "stopped answering on its stats port ${stats_of[$1]}"; }

# Starts set-up $1, times its first successful scrape, warms it up until its JIT is quiet (see the
# header) and leaves it pinned to TARGET_CPU.
start() {
  local mode=$1 base_mode=${1%@base} run_jar=$jar target_mode scrape_url args env_vars ratio keep p started
  case $mode in *@base) run_jar=$base_jar ;; esac
  port_of[$mode]=$(free_port)
  stats_of[$mode]=$(free_port)
  args=("${jvm_flags[@]}" -cp "$run_jar")
  env_vars=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_BSP_SCHEDULE_DELAY=1000)
  target_mode=$base_mode
  scrape_url="http://127.0.0.1:${port_of[$mode]}/metrics"
  case $base_mode in
    bare|bare-b) target_mode=bare; scrape_url="http://127.0.0.1:${port_of[$mode]}/health" ;;
    floor) scrape_url="http://127.0.0.1:${port_of[$mode]}/health" ;;
    tracing-10|tracing-1)
      ratio=$([ "$base_mode" = tracing-10 ] && echo 0.1 || echo 0.01)
      read -ra keep <<< "$keep_env"
      env_vars+=(OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG="$ratio" ${keep[@]+"${keep[@]}"})
      target_mode=tracing ;;
    agent)
      local prometheus_port
      prometheus_port=$(free_port)
      args=(-javaagent:"$agent" "${args[@]}")
      env_vars+=(OTEL_SERVICE_NAME=load-target OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=prometheus
                 OTEL_EXPORTER_PROMETHEUS_PORT="$prometheus_port" OTEL_LOGS_EXPORTER=none
                 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
      scrape_url="http://127.0.0.1:$prometheus_port/metrics"
      target_mode=bare ;;
  esac
  log_of[$mode]="$out/$mode.log"
  started=$(date +%s%N)
  env "${env_vars[@]}" java "${args[@]}" io.ktrdr.bench.LoadTarget "$target_mode" "${port_of[$mode]}" "${stats_of[$mode]}" \
    > "${log_of[$mode]}" 2>&1 &
  p=$!
  pid_of[$mode]=$p
  # Start-up: until the first successful scrape (set-ups without metrics: the first answer).
  until curl -sf -o /dev/null "$scrape_url"; do
    sleep 0.02
    kill -0 "$p" 2>/dev/null || died "$mode" "did not start"
  done
  first_scrape_of[$mode]=$(( ($(date +%s%N) - started) / 1000000 ))
  # Under the agent its Prometheus port answers before the app does: load starts once the app does.
  until curl -sf -o /dev/null "$(url_of "$mode")"; do
    sleep 0.02
    kill -0 "$p" 2>/dev/null || died "$mode" "did not start"
  done
  load_start_of[$mode]=$(date +%s)
  # Warm-up until the JIT is quiet: first on all cores (compilation gets both) until one quiet chunk
  # after at least warmup_min seconds, then pinned until two quiet chunks in a row (one alone can fall
  # between two bursts of compilation); at most warmup_max seconds in all.
  local quiet end=$(( ${load_start_of[$mode]} + warmup_max ))
  until_quiet "$mode" 1 $(( ${load_start_of[$mode]} + warmup_min )) $end > /dev/null
  taskset -a -p -c "$target_cpu" "$p" > /dev/null
  quiet=$(until_quiet "$mode" 2 0 $end)
  warm_of[$mode]=$(( $(date +%s) - ${load_start_of[$mode]} ))
  [ "$quiet" = 1 ] || say "$mode: the JIT was not quiet after ${warm_of[$mode]} s of warm-up (kept; its JIT share is in the table)"
}

# Measures set-up $1 (pinned to TARGET_CPU) in round $2 over a window of $3 seconds and appends its
# row to load.csv. Counters are read right before and right after the measured wrk; the HTTP reads of
# the allocation counter fall outside the CPU window. A window in which others took more than
# disturbed_max of the target's core (steal, or another process) is measured again, at most
# disturbed_retries times; the last one is kept with its shares in the CSV.
measure() {
  local mode=$1 round=$2 window=$3 p=${pid_of[$1]} attempt=0 w="$out/wrk-$1-$2.txt"
  local exports_before bytes_before alloc_before core_busy_before core_steal_before core_all_before
  local cpu_before jit_before sink_before cpu_after jit_after sink_after exports_after bytes_after
  local core_busy_after core_steal_after core_all_after alloc_after steal_share other_share disturbed
  while :; do
    read -r exports_before bytes_before < <(curl -sf "http://127.0.0.1:$sink_port/stats")
    alloc_before=$(allocated "$mode")
    read -r core_busy_before core_steal_before core_all_before < <(core_ticks)
    cpu_before=$(cpu_ticks "$p")
    jit_before=$(jit_ticks "$p")
    sink_before=$(cpu_ticks $sink)
    load -d"${window}s" --latency "$(url_of "$mode")" > "$w"
    cpu_after=$(cpu_ticks "$p")
    jit_after=$(jit_ticks "$p")
    sink_after=$(cpu_ticks $sink)
    read -r core_busy_after core_steal_after core_all_after < <(core_ticks)
    alloc_after=$(allocated "$mode")
    read -r exports_after bytes_after < <(curl -sf "http://127.0.0.1:$sink_port/stats")
    read -r steal_share other_share disturbed < <(awk -v b=$(( core_busy_after - core_busy_before )) \
      -v s=$(( core_steal_after - core_steal_before )) -v a=$(( core_all_after - core_all_before )) \
      -v t=$(( cpu_after - cpu_before )) -v m="$disturbed_max" \
      'BEGIN {o = b - t; if (o < 0) o = 0; if (a <= 0) a = 1; printf "%.4f %.4f %d\n", s / a, o / a, ((s + o) / a > m) ? 1 : 0}')
    [ "$disturbed" = 1 ] && [ $attempt -lt "$disturbed_retries" ] || break
    attempt=$(( attempt + 1 ))
    say "$mode: others took $(awk -v s=$steal_share -v o=$other_share 'BEGIN {printf "%.1f %% (steal) + %.1f %% (other processes)", 100 * s, 100 * o}') of its core in the window; measuring again ($attempt/$disturbed_retries)"
    window=$duration
  done
  if [ "$round" = 1 ]; then rss_of[$mode]=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$p/status"); fi
  if grep -q 'Non-2xx' "$w"; then
    echo "run.sh: $mode answered errors, its figures would not mean anything:"; cat "$w"; exit 1
  fi
  if grep 'Socket errors' "$w" >&2; then echo "run.sh: $mode: wrk saw socket errors (above); kept" >&2; fi
  local requests rps p99 figures
  requests=$(awk '/requests in/ {print $1}' "$w")
  rps=$(awk '/Requests\/sec/ {print $2}' "$w")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$w")
  figures=$(awk -v r="$requests" -v t="$clk_tck" -v c=$(( cpu_after - cpu_before )) -v a=$(( alloc_after - alloc_before )) \
    -v s=$(( sink_after - sink_before )) -v b=$(( bytes_after - bytes_before )) -v j=$(( jit_after - jit_before )) \
    'BEGIN {printf "%.2f,%.0f,%.3f,%.1f,%.2f", c * 1e6 / t / r, a / r, s * 1e6 / t / r, b / r, j * 1e6 / t / r}')
  echo "$mode,$round,$rps,$p99,${first_scrape_of[$mode]},${rss_of[$mode]:-0},$requests,$figures,${warm_of[$mode]},$(( $(date +%s) - ${load_start_of[$mode]} )),$steal_share,$other_share" \
    | tee -a "$out/load.csv"
}

# Between its windows a set-up's JVM waits on LOAD_CPU, so the target core is the measured one's alone.
park() { taskset -a -p -c "$load_cpu" "${pid_of[$1]}" > /dev/null; }
# Back on TARGET_CPU: loaded in chunks until one is quiet (caches and thread pools settle after the
# move), at most settle_max seconds.
resume() {
  taskset -a -p -c "$target_cpu" "${pid_of[$1]}" > /dev/null
  until_quiet "$1" 1 0 $(( $(date +%s) + settle_max )) > /dev/null
}

echo "mode,round,rps,p99_ms,first_scrape_ms,rss_mb,requests,cpu_ms_per_1k,alloc_bytes_per_req,sink_cpu_ms_per_1k,export_bytes_per_req,jit_cpu_ms_per_1k,warmup_s,load_s,steal_share,other_share" > "$out/load.csv"
total=$(( rounds * ${#setups[@]} ))
n=0
for round in $(seq 1 "$rounds"); do
  # Each round starts one set-up later than the previous one, so no set-up always runs first.
  for i in $(seq 0 $(( ${#setups[@]} - 1 ))); do
    mode=${setups[$(( (i + round - 1) % ${#setups[@]} ))]}
    n=$(( n + 1 ))
    say "round $round/$rounds, $mode ($n/$total)"
    if [ "$round" = 1 ]; then
      start "$mode"
      window=$duration
      if [ "$long_round" = 1 ]; then
        window=$(( load_minute - ($(date +%s) - ${load_start_of[$mode]}) ))
        [ $window -ge "$duration" ] || window=$duration
      fi
    else
      resume "$mode"
      window=$duration
    fi
    measure "$mode" "$round" "$window"
    park "$mode"
  done
done
for mode in "${setups[@]}"; do
  kill -0 "${pid_of[$mode]}" 2>/dev/null || died "$mode" "ended during the load test"
  kill "${pid_of[$mode]}"; wait "${pid_of[$mode]}" 2>/dev/null || true
done

if [ $quick = 1 ]; then
  java -cp "$jar" io.ktrdr.bench.Report --print "$out/load.csv" "$out/machine.txt"
  say "done in $(elapsed): $out/load.csv (docs untouched)"
  exit 0
fi
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
