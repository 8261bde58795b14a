# syntax=docker/dockerfile:1
# tla-streams: one image for every role; the role is chosen by the command (`run --role topology`, ...).
#   docker build -t tla-streams .
#   docker run --rm tla-streams --help

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY schemas/ schemas/
COPY platform/ platform/
COPY embedded-broker/ embedded-broker/
COPY topology/ topology/
COPY connectors/ connectors/
COPY dashboard-feed/ dashboard-feed/
COPY app/ app/
# The benchmarks (bench/) are not part of the image; Maven only needs their pom to read the reactor.
COPY bench/pom.xml bench/
# The cache mount keeps ~/.m2 between builds, so only changed dependencies are downloaded again.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -Dstyle.color=never -DskipTests package -pl app -am

FROM eclipse-temurin:17-jre
# curl only for the HEALTHCHECK below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 tla \
    && useradd --system --uid 10001 --gid tla --home-dir /opt/tla --shell /usr/sbin/nologin tla \
    && mkdir -p /data \
    && chown tla:tla /data
# tla.jar finds its dependencies through the manifest's Class-Path (lib/...), so both keep their relative layout.
COPY --from=build /src/app/target/lib/ /opt/tla/lib/
COPY --from=build /src/app/target/tla.jar /opt/tla/tla.jar

# data.dir holds the Kafka Streams state, the reply outbox, file secrets and the readiness file. A named volume
# mounted here starts with the image's ownership (tla), so the non-root process can write it.
ENV TLA_DATA_DIR=/data
VOLUME ["/data"]
WORKDIR /data
USER tla:tla
# 8080: the webhook listener (Teams); 8081: the management listener (dashboard, /api/*, /metrics)
EXPOSE 8080 8081

# Memory as ./tla sets it: every role within 512 MiB resident (docs/benchmarks.md, "footprint"). The java launcher
# reads JDK_JAVA_OPTIONS, so a service overrides it without replacing the entrypoint. ExitOnOutOfMemoryError: a
# broken JVM exits and the restart policy restarts it. Two malloc arenas: RocksDB and the JDK allocate natively.
ENV MALLOC_ARENA_MAX=2
ENV JDK_JAVA_OPTIONS="-Xms64m -Xmx384m -XX:+UseG1GC -XX:GCTimeRatio=4 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:G1PeriodicGCInterval=5000 -XX:MaxMetaspaceSize=192m -XX:ReservedCodeCacheSize=64m -Xss512k -XX:+ExitOnOutOfMemoryError"
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${TLA_HTTP_PORT:-8080}/health/live" || exit 1
# exec form: SIGTERM from `docker stop` reaches the JVM, whose shutdown hook closes every role cleanly.
ENTRYPOINT ["java", "-Dtla.home=/opt/tla", "-jar", "/opt/tla/tla.jar"]
CMD ["run"]
