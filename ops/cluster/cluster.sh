#!/usr/bin/env bash
# A three-node KRaft Kafka cluster on this machine, from Kafka's own server code (the jars of the embedded-broker
# module): each node its own JVM, combined broker+controller, replication factor 3 and min ISR 2 everywhere.
# See ops/cluster/README.md.
#
#   cluster.sh start | stop | status | kill N | start-node N | stop-node N | leaders | bootstrap | wipe
#
# Environment: TLA_CLUSTER_DIR (./data/cluster), TLA_CLUSTER_PORT (19092: node N listens on PORT+N-1, its
# controller on PORT+100+N-1), TLA_CLUSTER_HEAP (-Xmx512m), TLA_CLUSTER_AUTH (none | scram),
# TLA_CLUSTER_PASSWORD (scram: password of user tla; default generated into DIR/secrets/kafka-password),
# TLA_CLUSTER_CLASSPATH (optional: the server classpath, instead of resolving it with Maven),
# TLA_CLUSTER_TIMEOUT (seconds to wait for start / start-node, 120).
set -euo pipefail

NODES=3
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
DIR="${TLA_CLUSTER_DIR:-./data/cluster}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
PORT="${TLA_CLUSTER_PORT:-19092}"
HEAP="${TLA_CLUSTER_HEAP:--Xmx512m}"
TIMEOUT="${TLA_CLUSTER_TIMEOUT:-120}"
KAFKA_USER="tla"
BROKER_USER="tla-broker"

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: error: $*" >&2; exit 1; }

[[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT > 0 && PORT + 102 < 65536 )) || die "TLA_CLUSTER_PORT must be a port number"

client_port() { echo $(( PORT + $1 - 1 )); }
controller_port() { echo $(( PORT + 100 + $1 - 1 )); }
node_dir() { echo "$DIR/node$1"; }

bootstrap_servers() {
  local out="" n
  for n in $(seq 1 $NODES); do out="${out:+$out,}127.0.0.1:$(client_port "$n")"; done
  echo "$out"
}

check_node_arg() {
  [[ "${1:-}" =~ ^[1-3]$ ]] || die "node must be 1, 2 or 3 (got '${1:-}')"
}

# The auth mode the cluster was formatted with wins over the environment: a formatted cluster cannot change it.
auth_mode() {
  if [[ -f "$DIR/auth" ]]; then cat "$DIR/auth"; else echo "${TLA_CLUSTER_AUTH:-none}"; fi
}

# --- classpath: Kafka's server jars, resolved once by Maven from the embedded-broker module ---------------------
classpath() {
  if [[ -n "${TLA_CLUSTER_CLASSPATH:-}" ]]; then echo "$TLA_CLUSTER_CLASSPATH"; return; fi
  local file="$DIR/classpath.txt"
  if [[ -s "$file" ]]; then
    local first; first="$(cut -d: -f1 "$file")"
    if [[ -f "$first" ]] && grep -q 'kafka_2' "$file"; then cat "$file"; return; fi
  fi
  log "resolving Kafka's server classpath (mvn dependency:build-classpath -pl embedded-broker), once"
  command -v mvn >/dev/null || die "mvn not found: install Maven or set TLA_CLUSTER_CLASSPATH"
  local tmp="$file.tmp"
  ( cd "$REPO_ROOT" && { mvn -B -q -o dependency:build-classpath -pl embedded-broker -DincludeScope=runtime \
        -Dmdep.outputFile="$tmp" >"$DIR/mvn.log" 2>&1 \
      || mvn -B -q dependency:build-classpath -pl embedded-broker -DincludeScope=runtime \
        -Dmdep.outputFile="$tmp" >>"$DIR/mvn.log" 2>&1; } ) \
    || die "mvn dependency:build-classpath failed, see $DIR/mvn.log"
  grep -q 'kafka_2' "$tmp" || die "the resolved classpath has no Kafka server jar (see $DIR/mvn.log)"
  mv "$tmp" "$file"
  cat "$file"
}

# --- the admin helper (ClusterAdmin.java), compiled once into the cluster dir -----------------------------------
admin() {
  local cp classes="$DIR/tools"
  cp="$(classpath)"
  if [[ ! -f "$classes/ClusterAdmin.class" || "$SCRIPT_DIR/ClusterAdmin.java" -nt "$classes/ClusterAdmin.class" ]]; then
    mkdir -p "$classes"
    javac -nowarn -d "$classes" -cp "$cp" "$SCRIPT_DIR/ClusterAdmin.java" >&2 || die "cannot compile ClusterAdmin.java"
  fi
  local props="-"
  [[ "$(auth_mode)" == "scram" ]] && props="$DIR/client.properties"
  java -Xmx128m -Dlogback.configurationFile="$DIR/logback-tools.xml" -cp "$classes:$cp" ClusterAdmin \
    "$(bootstrap_servers)" "$props" "$@"
}

# --- processes ---------------------------------------------------------------------------------------------------
node_pid() {
  local f; f="$(node_dir "$1")/pid"
  [[ -f "$f" ]] || return 1
  local pid; pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  echo "$pid"
}

# Alive means: the pid runs, and it is this node's kafka.Kafka (a stale pid file may name a reused pid).
node_alive() {
  local pid; pid="$(node_pid "$1")" || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $(node_dir "$1")/server.properties"
}

password_ok() {
  [[ "$1" =~ ^[A-Za-z0-9._~+/-]{8,}$ ]]
}

# The password of user tla: TLA_CLUSTER_PASSWORD, else DIR/secrets/kafka-password (generated, 0600), which is
# where the product's file secret store (secrets.provider=file, data.dir=DIR) looks for secret kafka-password.
ensure_secrets() {
  umask 077
  mkdir -p "$DIR/secrets"
  chmod 700 "$DIR/secrets"
  if [[ ! -s "$DIR/secrets/kafka-password" ]]; then
    if [[ -n "${TLA_CLUSTER_PASSWORD:-}" ]]; then
      printf '%s\n' "$TLA_CLUSTER_PASSWORD" > "$DIR/secrets/kafka-password"
    else
      head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$DIR/secrets/kafka-password"
      echo >> "$DIR/secrets/kafka-password"
      log "generated the password of user $KAFKA_USER into $DIR/secrets/kafka-password"
    fi
  elif [[ -n "${TLA_CLUSTER_PASSWORD:-}" && "$TLA_CLUSTER_PASSWORD" != "$(tr -d '\n' < "$DIR/secrets/kafka-password")" ]]; then
    die "TLA_CLUSTER_PASSWORD differs from the password the cluster was formatted with ($DIR/secrets/kafka-password)"
  fi
  if [[ ! -s "$DIR/secrets/kafka-broker-password" ]]; then
    head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$DIR/secrets/kafka-broker-password"
  fi
  chmod 600 "$DIR/secrets/kafka-password" "$DIR/secrets/kafka-broker-password"
  password_ok "$(tr -d '\n' < "$DIR/secrets/kafka-password")" \
    || die "the password must be at least 8 characters of A-Z a-z 0-9 . _ ~ + / -"
}

write_configs() {
  local mode n voters="" user_pw broker_pw
  mode="$(auth_mode)"
  for n in $(seq 1 $NODES); do voters="${voters:+$voters,}$n@127.0.0.1:$(controller_port "$n")"; done
  umask 077
  cat > "$DIR/logback.xml" <<'EOF'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <logger name="kafka.request.logger" level="WARN"/>
  <logger name="state.change.logger" level="WARN"/>
  <logger name="org.apache.kafka.clients" level="WARN"/>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
EOF
  cat > "$DIR/logback-tools.xml" <<'EOF'
<configuration>
  <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="ERROR"><appender-ref ref="ERR"/></root>
</configuration>
EOF
  if [[ "$mode" == "scram" ]]; then
    user_pw="$(tr -d '\n' < "$DIR/secrets/kafka-password")"
    broker_pw="$(tr -d '\n' < "$DIR/secrets/kafka-broker-password")"
    cat > "$DIR/client.properties" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_USER" password="$user_pw";
EOF
    chmod 600 "$DIR/client.properties"
  fi
  for n in $(seq 1 $NODES); do
    local d; d="$(node_dir "$n")"
    mkdir -p "$d/data"
    {
      echo "# generated by ops/cluster/cluster.sh: node $n of $NODES"
      echo "process.roles=broker,controller"
      echo "node.id=$n"
      echo "controller.quorum.voters=$voters"
      echo "controller.listener.names=CONTROLLER"
      echo "listeners=CLIENT://127.0.0.1:$(client_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")"
      echo "advertised.listeners=CLIENT://127.0.0.1:$(client_port "$n")"
      echo "inter.broker.listener.name=CLIENT"
      if [[ "$mode" == "scram" ]]; then
        echo "listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"
        echo "sasl.enabled.mechanisms=SCRAM-SHA-512"
        echo "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512"
        echo "listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512"
        echo "listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$BROKER_USER\" password=\"$broker_pw\";"
      else
        echo "listener.security.protocol.map=CLIENT:PLAINTEXT,CONTROLLER:PLAINTEXT"
      fi
      echo "log.dirs=$d/data"
      echo "num.partitions=3"
      echo "default.replication.factor=3"
      echo "min.insync.replicas=2"
      echo "offsets.topic.replication.factor=3"
      echo "transaction.state.log.replication.factor=3"
      echo "transaction.state.log.min.isr=2"
      echo "share.coordinator.state.topic.replication.factor=3"
      echo "share.coordinator.state.topic.min.isr=2"
      echo "unclean.leader.election.enable=false"
      echo "auto.create.topics.enable=false"
      echo "group.initial.rebalance.delay.ms=0"
    } > "$d/server.properties.tmp"
    mv "$d/server.properties.tmp" "$d/server.properties"
    chmod 600 "$d/server.properties"
  done
}

format_storage() {
  local cp n mode args=()
  cp="$(classpath)"
  mode="$(auth_mode)"
  if [[ ! -s "$DIR/cluster-id" ]]; then
    java -Xmx128m -Dlogback.configurationFile="$DIR/logback-tools.xml" -cp "$cp" kafka.tools.StorageTool random-uuid \
      2>/dev/null | tail -1 > "$DIR/cluster-id.tmp"
    [[ -s "$DIR/cluster-id.tmp" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
    mv "$DIR/cluster-id.tmp" "$DIR/cluster-id"
  fi
  if [[ "$mode" == "scram" ]]; then
    args=(--add-scram "SCRAM-SHA-512=[name=$KAFKA_USER,password=$(tr -d '\n' < "$DIR/secrets/kafka-password")]"
          --add-scram "SCRAM-SHA-512=[name=$BROKER_USER,password=$(tr -d '\n' < "$DIR/secrets/kafka-broker-password")]")
  fi
  for n in $(seq 1 $NODES); do
    local d; d="$(node_dir "$n")"
    [[ -f "$d/data/meta.properties" ]] && continue
    log "formatting the storage of node $n (cluster id $(cat "$DIR/cluster-id"))"
    java -Xmx256m -Dlogback.configurationFile="$DIR/logback-tools.xml" -cp "$cp" kafka.tools.StorageTool format \
      -t "$(cat "$DIR/cluster-id")" -c "$d/server.properties" "${args[@]}" >"$d/format.log" 2>&1 \
      || die "formatting node $n failed, see $d/format.log"
  done
}

launch_node() {
  local n="$1" cp d
  d="$(node_dir "$n")"
  if node_alive "$n"; then log "node $n already runs (pid $(node_pid "$n"))"; return 0; fi
  rm -f "$d/pid"
  cp="$(classpath)"
  # shellcheck disable=SC2086 # HEAP may hold several JVM options
  nohup setsid java $HEAP -XX:+UseG1GC -Djava.awt.headless=true -Dlogback.configurationFile="$DIR/logback.xml" \
    -cp "$cp" kafka.Kafka "$d/server.properties" >>"$d/server.log" 2>&1 </dev/null &
  echo $! > "$d/pid"
  log "node $n started (pid $!, listener 127.0.0.1:$(client_port "$n"), log $d/server.log)"
}

# SIGTERM, wait up to $2 seconds, then SIGKILL.
terminate_nodes() {
  local wait_s="$1"; shift
  local n pids=() alive
  for n in "$@"; do
    if node_alive "$n"; then kill -TERM "$(node_pid "$n")" 2>/dev/null || true; pids+=("$n"); fi
  done
  for _ in $(seq 1 $(( wait_s * 2 ))); do
    alive=0
    for n in "${pids[@]}"; do node_alive "$n" && alive=1; done
    (( alive == 0 )) && break
    sleep 0.5
  done
  for n in "${pids[@]}"; do
    if node_alive "$n"; then
      log "node $n did not stop within ${wait_s}s: SIGKILL"
      kill -KILL "$(node_pid "$n")" 2>/dev/null || true
    fi
    log "node $n stopped"
    rm -f "$(node_dir "$n")/pid"
  done
}

cmd_start() {
  local mode; mode="$(auth_mode)"
  [[ "$mode" == "none" || "$mode" == "scram" ]] || die "TLA_CLUSTER_AUTH must be none or scram (got '$mode')"
  if [[ -f "$DIR/auth" && -n "${TLA_CLUSTER_AUTH:-}" && "${TLA_CLUSTER_AUTH}" != "$mode" ]]; then
    die "the cluster in $DIR was formatted with TLA_CLUSTER_AUTH=$mode; wipe it to change"
  fi
  command -v java >/dev/null || die "java not found"
  [[ "$mode" == "scram" ]] && ensure_secrets
  echo "$mode" > "$DIR/auth"
  echo "$PORT" > "$DIR/port"
  write_configs
  format_storage
  local n
  for n in $(seq 1 $NODES); do launch_node "$n"; done
  admin ready $NODES "$TIMEOUT" || die "the cluster did not become ready within ${TIMEOUT}s (logs: $DIR/node*/server.log)"
  bootstrap_servers
}

cmd_start_node() {
  check_node_arg "${1:-}"
  [[ -f "$(node_dir "$1")/server.properties" ]] || die "the cluster in $DIR was never started"
  local d started_before deadline
  d="$(node_dir "$1")"
  if node_alive "$1"; then
    started_before=-1
  else
    started_before="$(grep -c 'Kafka Server started' "$d/server.log" 2>/dev/null || true)"
  fi
  launch_node "$1"
  # A SIGKILLed node stays registered until its session times out: wait for this process's own start first.
  deadline=$(( SECONDS + TIMEOUT ))
  until (( $(grep -c 'Kafka Server started' "$d/server.log" 2>/dev/null || true) > ${started_before:-0} )); do
    node_alive "$1" || die "node $1 exited while starting (log: $d/server.log)"
    (( SECONDS < deadline )) || die "node $1 did not start within ${TIMEOUT}s (log: $d/server.log)"
    sleep 0.5
  done
  admin await-node "$1" $(( deadline - SECONDS > 5 ? deadline - SECONDS : 5 )) \
    || die "node $1 did not register within ${TIMEOUT}s (log: $d/server.log)"
}

cmd_status() {
  local n
  for n in $(seq 1 $NODES); do
    if node_alive "$n"; then
      echo "node $n pid $(node_pid "$n") alive 127.0.0.1:$(client_port "$n")"
    else
      echo "node $n pid $(node_pid "$n" || echo -) dead 127.0.0.1:$(client_port "$n")"
    fi
  done
}

# A started cluster remembers its port, so later commands need not repeat TLA_CLUSTER_PORT.
if [[ -z "${TLA_CLUSTER_PORT:-}" && -s "$DIR/port" ]]; then PORT="$(cat "$DIR/port")"; fi

case "${1:-}" in
  start) cmd_start ;;
  stop) terminate_nodes 60 $(seq 1 $NODES) ;;
  status) cmd_status ;;
  kill)
    check_node_arg "${2:-}"
    if node_alive "$2"; then kill -KILL "$(node_pid "$2")"; log "node $2 killed (SIGKILL)"; else log "node $2 was not running"; fi
    ;;
  start-node) cmd_start_node "${2:-}" ;;
  stop-node) check_node_arg "${2:-}"; terminate_nodes 60 "$2" ;;
  leaders) admin leaders $NODES ;;
  bootstrap) bootstrap_servers ;;
  wipe)
    terminate_nodes 30 $(seq 1 $NODES)
    rm -rf "$DIR"
    log "deleted $DIR"
    ;;
  *)
    echo "usage: $0 start|stop|status|kill N|start-node N|stop-node N|leaders|bootstrap|wipe" >&2
    exit 2
    ;;
esac
