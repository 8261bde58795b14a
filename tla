#!/usr/bin/env bash
# tla: the tla-streams command line. Builds the distribution (app/target/tla.jar + lib/) when it is missing or
# older than the sources, then runs it. `./tla --help` lists the commands.
# `./tla bench ...` runs the benchmarks, which live beside the runtime in the bench module (they bring JMH, which
# tla.jar does not carry): bench/target/tla-bench.jar on the classpath Maven resolved for it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$ROOT/app/target/tla.jar"
BENCH_JAR="$ROOT/bench/target/tla-bench.jar"
BENCH_CLASSPATH="$ROOT/bench/target/classpath.txt"
RUNTIME_MODULES=(schemas platform embedded-broker topology connectors dashboard-feed app)

if [[ "${1:-}" == "bench" ]]; then
  shift
  module=bench; built="$BENCH_JAR"; sources=("${RUNTIME_MODULES[@]}" bench)
  present() { [[ -f "$BENCH_JAR" && -f "$BENCH_CLASSPATH" && -f "$JAR" ]]; }
else
  module=app; built="$JAR"; sources=("${RUNTIME_MODULES[@]}")
  present() { [[ -f "$JAR" && -d "$ROOT/app/target/lib" ]]; }
fi

needs_build() {
  present || return 0
  # any source, resource or pom newer than what was built
  [[ -n "$(find "$ROOT/pom.xml" "${sources[@]/#/$ROOT/}" \
      \( -path '*/target' -prune \) -o \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$built" -print -quit 2>/dev/null)" ]]
}

if [[ "${TLA_BUILD:-auto}" != "never" ]] && { [[ "${TLA_BUILD:-auto}" == "always" ]] || needs_build; }; then
  command -v mvn >/dev/null || { echo "tla: Maven (mvn) is needed to build tla-streams" >&2; exit 1; }
  echo "tla: building tla-streams (mvn package -pl $module -am, tests skipped; the first build downloads dependencies)…" >&2
  (cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests package -pl "$module" -am) >&2 || { echo "tla: build failed" >&2; exit 1; }
fi

# The working directory stays the caller's (file arguments are relative to it); the default data directory is
# ./data of this installation (tla.home). exec: Ctrl-C and SIGTERM reach the JVM directly, which shuts every role
# down cleanly.
if [[ "$module" == "bench" ]]; then
  exec java ${TLA_JAVA_OPTS:--Xms256m -Xmx2g -XX:+UseG1GC} -Dtla.home="$ROOT" \
      -cp "$BENCH_JAR:$(<"$BENCH_CLASSPATH")" io.tla.bench.BenchMain "$@"
fi
# The runtime's defaults keep every role, the embedded broker included, small: a 384 MiB heap ceiling that G1
# grows into only when collections would otherwise take over a fifth of the time (GCTimeRatio=4), shrinks back to
# within 30 % of what is live, and gives back when idle (a periodic collection after 5 s without one); bounded
# metaspace and JIT code cache, smaller thread stacks, and
# two glibc malloc arenas instead of one per core and thread (RocksDB and the JDK allocate natively). An
# out-of-memory error ends the process instead of leaving it half-alive for its supervisor to miss.
# docs/benchmarks.md ("footprint") has the figures; TLA_JAVA_OPTS replaces the JVM options entirely.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec java ${TLA_JAVA_OPTS:--Xms64m -Xmx384m -XX:+UseG1GC -XX:GCTimeRatio=4 -XX:MinHeapFreeRatio=10 \
    -XX:MaxHeapFreeRatio=30 -XX:G1PeriodicGCInterval=5000 -XX:MaxMetaspaceSize=192m -XX:ReservedCodeCacheSize=64m \
    -Xss512k -XX:+ExitOnOutOfMemoryError} -Dtla.home="$ROOT" -jar "$JAR" "$@"
