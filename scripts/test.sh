#!/usr/bin/env bash
# Runs every test: unit tests (surefire), end-to-end tests against a real Prometheus (failsafe, *IT)
# and the formatting check. Installs the test binaries first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
./mvnw -B -ntp verify "$@"
