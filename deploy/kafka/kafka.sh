#!/usr/bin/env bash
# Single-node Apache Kafka 3.9 (KRaft) for local runs and integration tests, from Maven-resolved jars.
#
#   kafka.sh jars                  resolve the jars into deploy/kafka/libs (idempotent)
#   kafka.sh start   [opts]        format an empty data dir (or reuse its data), start the broker, wait until it answers
#   kafka.sh topics  [opts]        create the Smileback topics (idempotent)
#   kafka.sh stop    [opts]        SIGTERM, wait up to 30 s, then SIGKILL
#   kafka.sh status  [opts]        exit 0 when the broker runs, 3 when it does not
#
# Options (or the environment variables in brackets):
#   --port N [PORT, 9092]  --controller-port N [CONTROLLER_PORT, 9093]  --data-dir D [DATA_DIR, fresh mktemp dir]
#   TOPIC_PREFIX (default "smileback.")  KAFKA_HEAP_OPTS (default "-Xms256m -Xmx512m")
# A secured broker (TLS, SASL, ACLs), e.g. tests/support/kafka_tls.py's:
#   EXTRA_PROPERTIES  a file appended to server.properties (later keys win; ${PORT} etc. expand)
#   SCRAM_USERS       "name=password ..." given SCRAM-SHA-512 credentials when the storage is formatted
#   CLIENT_CONFIG     the admin tools' client properties (security.protocol, sasl.jaas.config, ...)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIBS="$HERE/libs"
# Quoted so that Java, not the shell, expands the wildcard.
CP="$LIBS/*"
LOG4J="-Dlog4j.configuration=file:$HERE/log4j.properties"
MARKER="$LIBS/.complete"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

CMD="${1:-}"; [[ -n "$CMD" ]] || usage; shift
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) PORT="$2"; shift 2 ;;
    --controller-port) CONTROLLER_PORT="$2"; shift 2 ;;
    --data-dir) DATA_DIR="$2"; shift 2 ;;
    *) usage ;;
  esac
done
PORT="${PORT:-9092}"
CONTROLLER_PORT="${CONTROLLER_PORT:-9093}"
TOPIC_PREFIX="${TOPIC_PREFIX:-smileback.}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
BOOTSTRAP="127.0.0.1:$PORT"
# Lets stop/status find a broker started with a mktemp data dir from just its port.
POINTER="${TMPDIR:-/tmp}/smileback-kafka-$PORT.datadir"

# Short-lived CLI JVMs: small heap, fast start-up.
TOOL=(java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$CP" "$LOG4J")
tool() { "${TOOL[@]}" "$@"; }
# How the admin tools authenticate to a secured broker.
ADMIN_AUTH=()
[[ -n "${CLIENT_CONFIG:-}" ]] && ADMIN_AUTH=(--command-config "$CLIENT_CONFIG")

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

jars_complete() {
  [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER")" == "$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)" ]] || return 1
  local jar
  for jar in kafka_2.13-3.9.1 kafka-tools-3.9.1 kafka-clients-3.9.1 slf4j-reload4j-1.7.36 reload4j-; do
    compgen -G "$LIBS/$jar*.jar" >/dev/null || return 1
  done
}

cmd_jars() {
  if jars_complete; then say "jars up to date in $LIBS"; return; fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
  say "resolving Kafka jars with Maven into $LIBS"
  rm -rf "$LIBS"
  local out
  # Quiet on success; Debian's Maven prints stray colour codes to stderr even with -q.
  out="$(mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIBS" 2>&1)" \
    || { echo "$out" >&2; die "maven could not resolve the jars"; }
  # More than one SLF4J binding and SLF4J picks one at random (or none with a mismatch): the broker goes silent.
  local bindings
  bindings="$(find "$LIBS" -name 'slf4j-reload4j-*.jar' -o -name 'slf4j-log4j12-*.jar' -o -name 'slf4j-simple-*.jar' \
    -o -name 'slf4j-jdk14-*.jar' -o -name 'slf4j-nop-*.jar' -o -name 'logback-classic-*.jar' -o -name 'log4j-slf4j*-impl-*.jar' | wc -l)"
  [[ "$bindings" -eq 1 ]] || die "expected exactly one SLF4J binding in $LIBS, found $bindings"
  sha256sum "$HERE/pom.xml" | cut -d' ' -f1 >"$MARKER"
  say "$(find "$LIBS" -name '*.jar' | wc -l) jars ready"
}

# Fails when neither DATA_DIR nor a recorded broker for PORT is known.
resolve_data_dir() {
  if [[ -z "${DATA_DIR:-}" && -f "$POINTER" ]]; then DATA_DIR="$(cat "$POINTER")"; fi
  [[ -n "${DATA_DIR:-}" ]] || return 1
  if [[ -d "$DATA_DIR" ]]; then DATA_DIR="$(cd "$DATA_DIR" && pwd)"; fi
  PIDFILE="$DATA_DIR/kafka.pid"
}

# Prints the pid when the pid file names a live kafka.Kafka process (guards against pid reuse).
running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

cmd_start() {
  jars_complete || cmd_jars
  local pid
  if resolve_data_dir && pid="$(running_pid)"; then say "already running (pid $pid) on $BOOTSTRAP, data $DATA_DIR"; return; fi
  DATA_DIR="${DATA_DIR:-$(mktemp -d -t smileback-kafka.XXXXXX)}"
  mkdir -p "$DATA_DIR"
  DATA_DIR="$(cd "$DATA_DIR" && pwd)"  # absolute: it goes into server.properties and the pointer file
  PIDFILE="$DATA_DIR/kafka.pid"
  port_open "$PORT" && die "port $PORT is already in use"
  port_open "$CONTROLLER_PORT" && die "controller port $CONTROLLER_PORT is already in use"

  local props="$DATA_DIR/server.properties" log="$DATA_DIR/kafka.log" cluster_id=""
  local meta="$DATA_DIR/kraft-logs/meta.properties"
  cat "$HERE/server.properties.template" ${EXTRA_PROPERTIES:+"$EXTRA_PROPERTIES"} |
    sed -e "s|\${PORT}|$PORT|g" -e "s|\${CONTROLLER_PORT}|$CONTROLLER_PORT|g" -e "s|\${DATA_DIR}|$DATA_DIR|g" >"$props"
  if [[ -f "$meta" ]]; then
    # A restart on existing data: the log dir keeps its cluster id; formatting again with a new
    # one would make the broker refuse its own data ("Invalid cluster.id").
    cluster_id="$(sed -n 's/^cluster\.id=//p' "$meta")"
    [[ -n "$cluster_id" ]] || die "$meta has no cluster.id; remove $DATA_DIR to start afresh"
    say "reusing the data in $DATA_DIR (cluster id $cluster_id)"
  else
    # A random id may start with '-', which the storage tool then parses as an option.
    while [[ -z "$cluster_id" || "$cluster_id" == -* ]]; do
      cluster_id="$(tool kafka.tools.StorageTool random-uuid | tail -n1)"
    done
    local scram=() user
    for user in ${SCRAM_USERS:-}; do scram+=(--add-scram "SCRAM-SHA-512=[name=${user%%=*},password=${user#*=}]"); done
    tool kafka.tools.StorageTool format -t "$cluster_id" -c "$props" "${scram[@]}" >/dev/null
  fi

  say "starting broker on $BOOTSTRAP (controller :$CONTROLLER_PORT, data $DATA_DIR)"
  # setsid + full redirection: the broker outlives this script and holds none of the caller's pipes.
  # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS is a list of JVM flags
  setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true -cp "$CP" "$LOG4J" kafka.Kafka "$props" \
    </dev/null >"$log" 2>&1 &
  echo $! >"$PIDFILE"
  echo "$DATA_DIR" >"$POINTER"

  local deadline=$((SECONDS + 90))
  # An open port is not enough: a topic list proves the broker has joined the KRaft quorum and serves metadata.
  until port_open "$PORT" &&
    timeout 30 "${TOOL[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "${ADMIN_AUTH[@]}" --list >/dev/null 2>&1; do
    # kill -0, not running_pid: until the child has exec'd java its command line is still ours.
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      echo "kafka.sh: broker exited during start-up; last log lines:" >&2; tail -n 40 "$log" >&2; exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "kafka.sh: broker not ready after 90 s; last log lines:" >&2; tail -n 40 "$log" >&2
      cmd_stop >&2 || true; exit 1
    fi
    sleep 0.5
  done
  say "ready: bootstrap $BOOTSTRAP (pid $(cat "$PIDFILE"), log $log)"
}

cmd_topics() {
  # name:partitions; keyed topics get 4 partitions so per-thread state can spread over workers.
  local spec name parts pids=() failed=0
  # ingest.positions and brand.rules are compacted: their state is the latest record per key.
  local config
  for spec in mentions.raw:4 mentions.scored:4 incidents:4 queues:4 dlq:1 ingest.positions:1 brand.rules:1; do
    name="$TOPIC_PREFIX${spec%%:*}"; parts="${spec##*:}"
    config=cleanup.policy=delete
    [[ "${spec%%:*}" == ingest.positions || "${spec%%:*}" == brand.rules ]] && config=cleanup.policy=compact
    # One JVM per topic; run them side by side to save start-up time.
    tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "${ADMIN_AUTH[@]}" --create --if-not-exists \
      --topic "$name" --partitions "$parts" --replication-factor 1 --config "$config" >/dev/null &
    pids+=($!)
  done
  for spec in "${pids[@]}"; do wait "$spec" || failed=1; done
  [[ "$failed" -eq 0 ]] || die "topic creation failed on $BOOTSTRAP"
  say "topics on $BOOTSTRAP: $(tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "${ADMIN_AUTH[@]}" --list | grep -F "$TOPIC_PREFIX" | tr '\n' ' ')"
}

cmd_stop() {
  resolve_data_dir || { say "not running (no broker recorded for port $PORT)"; return; }
  local pid
  if ! pid="$(running_pid)"; then say "not running (data $DATA_DIR)"; rm -f "$PIDFILE"; return; fi
  say "stopping broker pid $pid (SIGTERM)"
  kill -TERM "$pid"
  # A clean shutdown lets the controller write its final snapshot; 30 s is plenty for one node.
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "still alive after 30 s, sending SIGKILL"; kill -KILL "$pid"; fi
  rm -f "$PIDFILE"
  [[ "$(cat "$POINTER" 2>/dev/null)" == "$DATA_DIR" ]] && rm -f "$POINTER"
  say "stopped"
}

cmd_status() {
  resolve_data_dir || { say "not running"; exit 3; }
  local pid
  if pid="$(running_pid)"; then say "running (pid $pid) on $BOOTSTRAP, data $DATA_DIR"; else say "not running"; exit 3; fi
}

case "$CMD" in
  jars) cmd_jars ;;
  start) cmd_start ;;
  topics) cmd_topics ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
