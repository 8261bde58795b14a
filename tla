#!/usr/bin/env bash
# tla: the tla-streams command line. Builds the distribution (app/target/tla.jar + lib/) when it is missing or
# older than the sources, then runs it. `./tla --help` lists the commands.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$ROOT/app/target/tla.jar"

needs_build() {
  [[ -f "$JAR" && -d "$ROOT/app/target/lib" ]] || return 0
  # any source, resource or pom newer than the jar
  [[ -n "$(find "$ROOT/pom.xml" "$ROOT"/{schemas,platform,embedded-broker,topology,connectors,dashboard-feed,app} \
      \( -path '*/target' -prune \) -o \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$JAR" -print -quit 2>/dev/null)" ]]
}

if [[ "${TLA_BUILD:-auto}" != "never" ]] && { [[ "${TLA_BUILD:-auto}" == "always" ]] || needs_build; }; then
  command -v mvn >/dev/null || { echo "tla: Maven (mvn) is needed to build tla-streams" >&2; exit 1; }
  echo "tla: building tla-streams (mvn package, tests skipped; the first build downloads dependencies)…" >&2
  (cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests package) >&2 || { echo "tla: build failed" >&2; exit 1; }
fi

# The working directory stays the caller's (file arguments are relative to it); the default data directory is
# ./data of this installation (tla.home). exec: Ctrl-C and SIGTERM reach the JVM directly, which shuts every role
# down cleanly.
exec java ${TLA_JAVA_OPTS:--Xms256m -Xmx4g -XX:+UseG1GC} -Dtla.home="$ROOT" -jar "$JAR" "$@"
