#!/usr/bin/env bash
# Runs every test: unit tests (surefire), end-to-end tests against a real Prometheus (failsafe, *IT)
# and the formatting check; then the consumer projects of examples/ against the installed library,
# and the commands of README.md and docs/ (scripts/test-examples.sh). Installs the test binaries
# first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
./mvnw -B -ntp verify "$@"
bash scripts/test-examples.sh
