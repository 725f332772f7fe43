#!/usr/bin/env bash
# Runs the KTRDR reference app on localhost with embedded defaults (no Docker):
# builds the jar when it is missing or older than the sources, then starts the API on port 8000.
# Stop with Ctrl-C. Configuration: see docs/configuration.md (KTRDR_PORT, OTEL_SERVICE_NAME, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

jar=ktrdr-app/target/ktrdr-app.jar
if [ ! -f "$jar" ] || [ -n "$(find ktrdr-telemetry/src ktrdr-app/src pom.xml ktrdr-app/pom.xml ktrdr-telemetry/pom.xml -newer "$jar" -print -quit)" ]; then
  echo "run: building $jar"
  ./mvnw -B -q -ntp -DskipTests -Dspotless.check.skip=true install -pl ktrdr-app -am
fi

exec java ${JAVA_OPTS:-} -jar "$jar"
