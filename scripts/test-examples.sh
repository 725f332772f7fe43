#!/usr/bin/env bash
# Proves the library where users meet it: installs ktrdr-telemetry and ktrdr-telemetry-bom into a
# local repository, then builds and runs the consumer projects of examples/ against those artifacts,
# and runs the shell blocks of README.md and docs/ against the reference app (examples/docs-commands).
# Needs ktrdr-app/target/ktrdr-app.jar (scripts/test.sh builds it first) and a JDK 21 or later for
# the virtual-threads example (found under /usr/lib/jvm, or given as JDK21_HOME).
# Extra arguments go to the examples' Maven run, e.g.  scripts/test-examples.sh -pl batch-job -am
# Without arguments, examples/newer-opentelemetry also runs a second time, on the OpenTelemetry
# version the BOM pins (the first run uses the newest one that resolves here).
set -euo pipefail
cd "$(dirname "$0")/.."

# The library goes into a repository of its own, read before ~/.m2: what another build installs
# into ~/.m2 cannot change what the examples are built against, and nothing is written into ~/.m2.
repo="$PWD/target/examples-m2"
maven=(./mvnw -B -ntp "-Dmaven.repo.local=$repo"
  "-Dmaven.repo.local.tail=${MAVEN_LOCAL_REPOSITORY:-$HOME/.m2/repository}")

jdk21=${JDK21_HOME:-}
if [ -z "$jdk21" ]; then
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/javac" ] && [ -f "$candidate/release" ] || continue
    version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release")
    if [ -n "$version" ] && [ "$version" -ge 21 ]; then
      jdk21=$candidate
      break
    fi
  done
fi
if [ -z "$jdk21" ]; then
  echo "test-examples: no JDK 21 or later under /usr/lib/jvm (or JDK21_HOME): examples/javalin-virtual-threads" \
       "runs on virtual threads. Install one (a Temurin 21+ JDK, or apt-get install openjdk-21-jdk-headless" \
       "where the distribution has it) or set JDK21_HOME" >&2
  exit 1
fi
echo "test-examples: JDK for virtual threads: $jdk21"

"${maven[@]}" -q install -DskipTests -Dspotless.check.skip=true -pl ktrdr-telemetry,ktrdr-telemetry-logback,ktrdr-telemetry-testing,ktrdr-telemetry-bom -am
# Every version the BOM pins resolves: examples/bom-resolve imports it and depends on each pinned
# artifact (its BomPinsTest keeps that list equal to the BOM's).
"${maven[@]}" -q -f examples/bom-resolve/pom.xml dependency:resolve
# --fail-at-end: every example runs and reports, even after one fails.
"${maven[@]}" -f examples/pom.xml --fail-at-end verify "-Djdk21.home=$jdk21" "$@"
if [ $# -eq 0 ]; then
  # The OpenTelemetry range the docs state: newer-opentelemetry ran above on the newest SDK that
  # resolves here; once more on the version ktrdr-telemetry-bom pins.
  pinned=$(sed -n 's:.*<otel.version>\(.*\)</otel.version>.*:\1:p' ktrdr-telemetry-bom/pom.xml | head -1)
  echo "test-examples: newer-opentelemetry on the pinned OpenTelemetry $pinned"
  "${maven[@]}" -f examples/pom.xml -pl newer-opentelemetry -am verify "-Dopentelemetry.version=$pinned"
fi
