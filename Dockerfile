# The KTRDR reference app (API and workers: one image, the role is chosen by KTRDR_ROLE).
#   docker build -t ktrdr-app:0.1.0 .
# Build stage: the Maven wrapper builds the shaded jar. Runtime stage: JRE 17, non-root user.

FROM eclipse-temurin:17.0.15_6-jdk-jammy AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY ktrdr-telemetry/pom.xml ktrdr-telemetry/pom.xml
COPY ktrdr-telemetry-logback/pom.xml ktrdr-telemetry-logback/pom.xml
COPY ktrdr-app/pom.xml ktrdr-app/pom.xml
RUN ./mvnw -B -ntp -q dependency:go-offline -pl ktrdr-app -am || true
COPY ktrdr-telemetry/src ktrdr-telemetry/src
COPY ktrdr-telemetry-logback/src ktrdr-telemetry-logback/src
COPY ktrdr-app/src ktrdr-app/src
RUN ./mvnw -B -ntp -DskipTests -Dspotless.check.skip=true package -pl ktrdr-app -am

FROM eclipse-temurin:17.0.15_6-jre-jammy
RUN groupadd --system --gid 10001 ktrdr \
 && useradd --system --uid 10001 --gid ktrdr --home-dir /app --shell /usr/sbin/nologin ktrdr
WORKDIR /app
COPY --from=build --chown=ktrdr:ktrdr /src/ktrdr-app/target/ktrdr-app.jar /app/ktrdr-app.jar
USER 10001:10001
# In a container the app must listen on all interfaces; compose publishes ports on 127.0.0.1 only.
ENV KTRDR_HOST=0.0.0.0 \
    KTRDR_METRICS_HOST=0.0.0.0 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8000 5003
ENTRYPOINT ["java", "-jar", "/app/ktrdr-app.jar"]
