#!/usr/bin/env bash
# Reproduces the "Histogram modes" section of docs/performance.md: series, scrape bodies (text,
# gzip, protobuf) and scrape and record times of each KTRDR_HISTOGRAM_MODE on the same traffic.
# About 3 minutes; run it on an otherwise idle machine. JMH_ARGS="-wi 1 -i 1" gives a quick, noisy smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/target/results
mkdir -p "$out"
./mvnw -B -q -ntp -Pbenchmarks -DskipTests -Dspotless.check.skip=true package -pl benchmarks -am
jar=benchmarks/target/benchmarks.jar
java -jar "$jar" 'HistogramModeBenchmark' ${JMH_ARGS:-} -prof gc -rf json -rff "$out/histogram-modes.json" \
  > "$out/histogram-modes.txt"
java -cp "$jar" io.ktrdr.bench.HistogramModeReport "$out/histogram-modes.json" docs/performance.md
echo "histogram-modes.sh: wrote the 'Histogram modes' section of docs/performance.md"
