#!/usr/bin/env bash
# Runs every test: unit tests (surefire), end-to-end tests against a real Prometheus (failsafe, *IT)
# and the formatting check; then the consumer projects of examples/ against the installed library,
# and the commands of README.md and docs/ (scripts/test-examples.sh). Installs the test binaries
# first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
# -Pbenchmarks: the benchmarks build too, and their tests run (the report's targets, the floor
# set-up's span against the library's, the JFR summary); the benchmarks themselves do not.
./mvnw -B -ntp -Pbenchmarks verify "$@"

# Mutation testing of the library (PIT, 2-4 minutes on 2 cores; fails below 90%). Report:
# ktrdr-telemetry/target/pit-reports/index.html. -am builds the modules the library's tests use
# (ktrdr-telemetry-testing) in the same reactor: a fresh machine has none of them in ~/.m2.
./mvnw -B -ntp -pl ktrdr-telemetry -am test-compile org.pitest:pitest-maven:mutationCoverage | tee ktrdr-telemetry/target/pit.log
echo "Mutation score (ktrdr-telemetry): $(grep -o 'Generated [0-9]* mutations Killed [0-9]* ([0-9]*%)' ktrdr-telemetry/target/pit.log)"

# Consumer projects against the installed library, and the commands of README.md and docs/.
bash scripts/test-examples.sh
