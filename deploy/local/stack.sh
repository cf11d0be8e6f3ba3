#!/usr/bin/env bash
# SatuPintu local, Docker-free dev stack: Kafka (KRaft), PostgreSQL, Jaeger v2.
#
#   deploy/local/stack.sh up     [kafka] [postgres] [jaeger]   # no names = all three
#   deploy/local/stack.sh down   [kafka] [postgres] [jaeger]
#   deploy/local/stack.sh status
#   deploy/local/stack.sh logs   [kafka|postgres|jaeger] [-n LINES]
#   deploy/local/stack.sh env                                  # eval "$(deploy/local/stack.sh env)"
#   deploy/local/stack.sh clean                                # stop all + delete data (keeps the cache)
#   deploy/local/stack.sh kafka-tool CLASS [ARGS...]           # run a Kafka CLI class on the stack's classpath
#   deploy/local/stack.sh secrets                              # only generate the secrets (e.g. for compose)
#
# State (logs/, pids/, conf/, kafka-data/, pgdata/): ${SATUPINTU_STATE_DIR:-<repo>/.state}
# Cache (kafka/lib jars, bin/jaeger):               ${SATUPINTU_CACHE_DIR:-<repo>/.cache}
# Secrets (generated once, owner-only):            ${SATUPINTU_STATE_DIR:-<repo>/.state}/secrets
# Tunables: SATUPINTU_KAFKA_PORT (9092), SATUPINTU_KAFKA_TLS_PORT (9095), SATUPINTU_KAFKA_CONTROLLER_PORT (9093),
#           SATUPINTU_PG_PORT (55432), SATUPINTU_KAFKA_HEAP (768m),
#           SATUPINTU_{KAFKA,PG,JAEGER}_TIMEOUT (seconds to wait for readiness).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
STATE_DIR="${SATUPINTU_STATE_DIR:-$REPO_ROOT/.state}"
CACHE_DIR="${SATUPINTU_CACHE_DIR:-$REPO_ROOT/.cache}"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
CONF_DIR="$STATE_DIR/conf"

KAFKA_PORT="${SATUPINTU_KAFKA_PORT:-9092}"
KAFKA_TLS_PORT="${SATUPINTU_KAFKA_TLS_PORT:-9095}"
SECRETS_DIR="$STATE_DIR/secrets"
TLS_DIR="$SECRETS_DIR/tls"
# Kafka principals whose passwords the stack generates: the broker itself, the admin tool (both super
# users), the services, the demo and the benchmark. Agencies get theirs from `satupintu agency credentials`.
KAFKA_PRINCIPALS=(satupintu-broker satupintu-admin satupintu-intake satupintu-routing satupintu-performance satupintu-demo satupintu-bench)
KAFKA_CONTROLLER_PORT="${SATUPINTU_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${SATUPINTU_KAFKA_HEAP:-768m}"
KAFKA_LIB="$CACHE_DIR/kafka/lib"
KAFKA_DATA_DIR="$STATE_DIR/kafka-data"
KAFKA_TIMEOUT="${SATUPINTU_KAFKA_TIMEOUT:-120}"

PG_PORT="${SATUPINTU_PG_PORT:-55432}"
PG_DB=satupintu
PG_USER=satupintu
PG_PASSWORD=satupintu
PG_TIMEOUT="${SATUPINTU_PG_TIMEOUT:-60}"

JAEGER_MODULE_VERSION=v1.76.0 # github.com/jaegertracing/jaeger tag == Jaeger v2.13.0
JAEGER_VERSION=v2.13.0
JAEGER_BIN="$CACHE_DIR/bin/jaeger"
JAEGER_UI_PORT=16686
JAEGER_TIMEOUT="${SATUPINTU_JAEGER_TIMEOUT:-60}"

ALL_COMPONENTS=(postgres kafka jaeger)

# ----------------------------------------------------------------------------- helpers
log()  { printf '[stack] %s\n' "$*" >&2; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die()  { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

sha256_of() { cat "$@" | sha256sum | cut -c1-64; }

# port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# pid_alive PIDFILE [CMDLINE-SUBSTRING] -> 0 when the pid in the file runs (and matches)
pid_alive() {
  local pidfile="$1" match="${2:-}" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(read_pid "$pidfile")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -n "$match" ]]; then
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *"$match"* ]] || return 1
  fi
  return 0
}

read_pid() { { head -n1 "$1" 2>/dev/null || true; } | tr -dc '0-9'; }

# show_log_tail FILE... : last 40 lines of each existing file
show_log_tail() {
  local f
  for f in "$@"; do
    [[ -s "$f" ]] || continue
    printf '[stack] ---- last 40 lines of %s ----\n' "$f" >&2
    tail -n 40 "$f" >&2 || true
    printf '[stack] ---- end of %s ----\n' "$f" >&2
  done
}

# wait_until TIMEOUT NAME PIDFILE|'' CHECK-FUNCTION [ARGS...]
# Polls CHECK until it succeeds; fails early if the process behind PIDFILE died.
wait_until() {
  local timeout="$1" name="$2" pidfile="$3"; shift 3
  local start=$SECONDS next_note=$((SECONDS + 15))
  while true; do
    if "$@"; then return 0; fi
    if [[ -n "$pidfile" ]] && ! pid_alive "$pidfile"; then
      log "$name process exited while starting"
      return 1
    fi
    if (( SECONDS - start >= timeout )); then
      log "$name not ready after ${timeout}s"
      return 1
    fi
    if (( SECONDS >= next_note )); then
      log "  … still waiting for $name ($((SECONDS - start))s)"
      next_note=$((SECONDS + 15))
    fi
    sleep 1
  done
}

# stop_pid NAME PIDFILE GRACE_SECONDS : SIGTERM, wait, then SIGKILL
stop_pid() {
  local name="$1" pidfile="$2" grace="$3" pid i
  pid="$(read_pid "$pidfile")"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pidfile"
    return 0
  fi
  log "stopping $name (pid $pid)…"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 2; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name did not stop within ${grace}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$pidfile"
  log "$name stopped"
}

ensure_state_dirs() { mkdir -p "$LOG_DIR" "$PID_DIR" "$CONF_DIR"; }

# Run a detached background process; its stdout/stderr go to LOGFILE, pid to PIDFILE.
spawn() {
  local pidfile="$1" logfile="$2"; shift 2
  {
    printf '\n===== %s starting: %s =====\n' "$(date '+%F %T')" "$*"
  } >>"$logfile"
  nohup setsid "$@" </dev/null >>"$logfile" 2>&1 &
  echo $! >"$pidfile"
}

# ----------------------------------------------------------------------------- secrets
random_secret() { openssl rand -hex 32 2>/dev/null || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# secret_file PATH : create PATH with a random secret if missing (owner-only)
secret_file() {
  local path="$1"
  [[ -s "$path" ]] && return 0
  mkdir -p "$(dirname "$path")"
  (umask 077 && random_secret >"$path.tmp" && mv "$path.tmp" "$path")
}

secret() { tr -d '[:space:]' <"$1"; }

# The platform's secrets: Kafka passwords, HTTP tokens, the TLS material of the broker's TLS listener.
secrets_ensure() {
  local p
  ensure_state_dirs
  (umask 077 && mkdir -p "$SECRETS_DIR/kafka" "$TLS_DIR")
  chmod 700 "$SECRETS_DIR" "$SECRETS_DIR/kafka" "$TLS_DIR"
  secret_file "$SECRETS_DIR/kafka-controller-password"
  for p in "${KAFKA_PRINCIPALS[@]}"; do secret_file "$SECRETS_DIR/kafka/$p"; done
  secret_file "$SECRETS_DIR/admin-token"
  secret_file "$SECRETS_DIR/operator-token"
  secret_file "$SECRETS_DIR/open311-api-key"
  tls_ensure
  # The admin tool's client configuration for Kafka's own command-line tools (kafka-tool, readiness).
  (umask 077 && printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-512" \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"satupintu-admin\" password=\"$(secret "$SECRETS_DIR/kafka/satupintu-admin")\";" \
    >"$SECRETS_DIR/kafka-admin.properties")
}

# A local certificate authority and the broker's certificate for 127.0.0.1/localhost (PKCS#12).
tls_ensure() {
  [[ -s "$TLS_DIR/broker.p12" && -s "$TLS_DIR/ca.crt" ]] && return 0
  command -v openssl >/dev/null 2>&1 || die "openssl not found (needed once to make the broker's TLS certificate)"
  log "generating a local CA and the broker's TLS certificate in $TLS_DIR"
  secret_file "$TLS_DIR/broker.p12.password"
  (
    umask 077 && cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -subj "/CN=SatuPintu local CA" \
      -keyout ca.key -out ca.crt
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" -keyout broker.key -out broker.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >broker.ext
    openssl x509 -req -sha256 -days 825 -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -extfile broker.ext -out broker.crt
    openssl pkcs12 -export -in broker.crt -inkey broker.key -certfile ca.crt -name broker \
      -passout "pass:$(secret broker.p12.password)" -out broker.p12
    rm -f broker.csr broker.ext ca.srl
  ) >>"$LOG_DIR/tls.log" 2>&1 || { show_log_tail "$LOG_DIR/tls.log"; die "TLS certificate generation failed"; }
}

# ----------------------------------------------------------------------------- kafka
java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then command -v java
  else die "java not found (install a JDK 17+, e.g. apt-get install -y openjdk-17-jre-headless)"
  fi
}

kafka_resolve_jars() {
  local pom="$SCRIPT_DIR/kafka/pom.xml" stamp="$CACHE_DIR/kafka/lib.stamp" want
  want="$(sha256_of "$pom")"
  if [[ -d "$KAFKA_LIB" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka jars; apt-get install -y maven)"
  mkdir -p "$CACHE_DIR/kafka" "$LOG_DIR"
  local tmp="$CACHE_DIR/kafka/lib.tmp" mlog="$LOG_DIR/kafka-mvn.log" start=$SECONDS
  rm -rf "$tmp"
  log "resolving Kafka jars from Maven Central with $pom (first time only; log: $mlog)…"
  (cd "$SCRIPT_DIR/kafka" && mvn -B -f "$pom" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime) >"$mlog" 2>&1 &
  local mpid=$!
  while kill -0 "$mpid" 2>/dev/null; do
    sleep 5
    kill -0 "$mpid" 2>/dev/null || break
    log "  … still resolving ($((SECONDS - start))s, $(grep -c '^Downloaded from' "$mlog" || true) files downloaded)"
  done
  if ! wait "$mpid"; then
    show_log_tail "$mlog"
    die "Maven could not resolve the Kafka jars (see $mlog)"
  fi
  rm -rf "$KAFKA_LIB"
  mv "$tmp" "$KAFKA_LIB"
  echo "$want" >"$stamp"
  rm -rf "$SCRIPT_DIR/kafka/target" 2>/dev/null || true
  log "Kafka jars ready in $KAFKA_LIB ($(ls "$KAFKA_LIB" | wc -l) jars, $((SECONDS - start))s)"
}

kafka_version() {
  local j
  j="$(ls "$KAFKA_LIB"/kafka_2.13-*.jar 2>/dev/null | grep -v -e sources -e test | head -n1 || true)"
  j="${j##*/kafka_2.13-}"; echo "${j%.jar}"
}

# kafka_java CLASS ARGS... : run a Kafka main class with the tools log config
kafka_java() {
  "$(java_bin)" -Xmx512m -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/tools-log4j2.xml" \
    -cp "$KAFKA_LIB/*" "$@"
}

kafka_render_config() {
  local props="$CONF_DIR/kafka-server.properties"
  (umask 077 && sed -e "s#@KAFKA_DATA_DIR@#$KAFKA_DATA_DIR#g" \
      -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
      -e "s#@KAFKA_TLS_PORT@#$KAFKA_TLS_PORT#g" \
      -e "s#@KAFKA_CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@TLS_DIR@#$TLS_DIR#g" \
      -e "s#@TLS_KEYSTORE_PASSWORD@#$(secret "$TLS_DIR/broker.p12.password")#g" \
      -e "s#@CONTROLLER_PASSWORD@#$(secret "$SECRETS_DIR/kafka-controller-password")#g" \
      -e "s#@BROKER_PASSWORD@#$(secret "$SECRETS_DIR/kafka/satupintu-broker")#g" \
      "$SCRIPT_DIR/kafka/server.properties" >"$props.tmp")
  mv "$props.tmp" "$props"
  echo "$props"
}

kafka_format_storage() {
  local props="$1" idfile="$STATE_DIR/kafka-cluster-id" cid secured="$KAFKA_DATA_DIR/.satupintu-secured"
  if [[ -f "$KAFKA_DATA_DIR/meta.properties" && -f "$secured" ]]; then return 0; fi
  if [[ -f "$KAFKA_DATA_DIR/meta.properties" ]]; then
    # Data from before the broker authenticated: its controller and broker credentials can only be
    # added when storage is formatted. Keep it aside rather than delete it.
    local aside
    aside="$KAFKA_DATA_DIR.unsecured-$(date +%Y%m%d%H%M%S)"
    warn "Kafka data in $KAFKA_DATA_DIR predates SASL/ACLs: moving it to $aside and formatting anew"
    mv "$KAFKA_DATA_DIR" "$aside"
    rm -f "$idfile"
  fi
  mkdir -p "$KAFKA_DATA_DIR"
  if [[ ! -s "$idfile" ]]; then
    kafka_java kafka.tools.StorageTool random-uuid | tail -n1 | tr -d '[:space:]' >"$idfile.tmp"
    mv "$idfile.tmp" "$idfile"
  fi
  cid="$(cat "$idfile")"
  log "formatting Kafka storage in $KAFKA_DATA_DIR (cluster id $cid)…"
  # The super users' SCRAM credentials are part of the initial metadata: the broker authenticates to
  # itself with them before anything could create users through the API.
  if ! kafka_java kafka.tools.StorageTool format --standalone -t "$cid" -c "$props" \
        --add-scram "SCRAM-SHA-512=[name=satupintu-broker,password=$(secret "$SECRETS_DIR/kafka/satupintu-broker")]" \
        --add-scram "SCRAM-SHA-512=[name=satupintu-admin,password=$(secret "$SECRETS_DIR/kafka/satupintu-admin")]" \
        >>"$LOG_DIR/kafka-format.log" 2>&1; then
    show_log_tail "$LOG_DIR/kafka-format.log"
    die "Kafka storage format failed"
  fi
  touch "$secured"
}

kafka_ready() {
  port_open "$KAFKA_PORT" || return 1
  timeout 30 "$(java_bin)" -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/tools-log4j2.xml" \
    -cp "$KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --command-config "$SECRETS_DIR/kafka-admin.properties" \
    --list >/dev/null 2>&1
}

kafka_up() {
  local pidfile="$PID_DIR/kafka.pid"
  kafka_resolve_jars
  secrets_ensure
  if pid_alive "$pidfile" kafka.Kafka; then
    if port_open "$KAFKA_PORT" && kafka_ready; then
      log "kafka already running (pid $(read_pid "$pidfile")) on 127.0.0.1:$KAFKA_PORT"
      return 0
    fi
    log "kafka process is running (pid $(read_pid "$pidfile")), waiting for it to become ready…"
  else
    rm -f "$pidfile"
    if port_open "$KAFKA_PORT"; then
      if kafka_ready; then
        warn "127.0.0.1:$KAFKA_PORT is served by a Kafka broker not started by this script; using it"
        return 0
      fi
      die "port $KAFKA_PORT is in use by another process (not a Kafka broker we can talk to)"
    fi
    local props
    props="$(kafka_render_config)"
    kafka_format_storage "$props"
    log "starting Kafka $(kafka_version) (KRaft broker+controller) on 127.0.0.1:$KAFKA_PORT…"
    spawn "$pidfile" "$LOG_DIR/kafka.out" \
      "$(java_bin)" "-Xmx$KAFKA_HEAP" "-Xms256m" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
      -Djava.awt.headless=true \
      -Dkafka.logs.dir="$LOG_DIR" \
      -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.xml" \
      -cp "$KAFKA_LIB/*" kafka.Kafka "$props"
  fi
  if ! wait_until "$KAFKA_TIMEOUT" kafka "$pidfile" kafka_ready; then
    show_log_tail "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.out"
    die "Kafka did not become ready on 127.0.0.1:$KAFKA_PORT within ${KAFKA_TIMEOUT}s (logs: $LOG_DIR/kafka.log, $LOG_DIR/kafka.out)"
  fi
  log "kafka ready: 127.0.0.1:$KAFKA_PORT (pid $(read_pid "$pidfile"))"
}

kafka_down() { stop_pid kafka "$PID_DIR/kafka.pid" 30; }

kafka_status() {
  if pid_alive "$PID_DIR/kafka.pid" kafka.Kafka; then
    if port_open "$KAFKA_PORT"; then
      echo "kafka     running  pid $(read_pid "$PID_DIR/kafka.pid")  127.0.0.1:$KAFKA_PORT  version $(kafka_version)  data $KAFKA_DATA_DIR"
    else
      echo "kafka     starting pid $(read_pid "$PID_DIR/kafka.pid")  (port $KAFKA_PORT not open yet)"
    fi
  elif port_open "$KAFKA_PORT"; then
    echo "kafka     foreign  port $KAFKA_PORT is open but not started by this script"
  else
    echo "kafka     stopped"
  fi
}

# ----------------------------------------------------------------------------- postgres
PG_BIN=""
PG_RUN=()       # command prefix to run PostgreSQL tools as the right OS user (see pg_as)
PG_DATA=""
PG_SOCKDIR=""

pg_find_bin() {
  local d
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    PG_BIN="$(dirname "$(readlink -f "$(command -v initdb)")")"
    return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then PG_BIN="$d"; return 0; fi
  done
  return 1
}

pg_install() {
  is_root || die "PostgreSQL server binaries (initdb) not found; install them (sudo apt-get install -y postgresql) and retry"
  command -v apt-get >/dev/null 2>&1 || die "initdb not found and apt-get is unavailable; install PostgreSQL server binaries"
  log "initdb not found: installing Debian's postgresql package (apt-get)…"
  # Do not let the Debian package create/start its own 'main' cluster.
  mkdir -p /etc/postgresql-common/createcluster.d
  printf 'create_main_cluster = false\n' >/etc/postgresql-common/createcluster.d/50-satupintu-no-main.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >>"$LOG_DIR/postgres-install.log" 2>&1 \
    && apt-get install -y postgresql >>"$LOG_DIR/postgres-install.log" 2>&1 \
    || { show_log_tail "$LOG_DIR/postgres-install.log"; die "apt-get install postgresql failed"; }
  pg_find_bin || die "postgresql installed but initdb still not found"
}

# Decide which OS user runs PostgreSQL and where its data dir lives.
pg_setup_paths() {
  [[ -n "$PG_DATA" ]] && return 0
  pg_find_bin || pg_install
  local want="$STATE_DIR/pgdata"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' system user (PostgreSQL refuses to run as root)"
    PG_RUN=(runuser -u postgres --)
    mkdir -p "$want"
    chown postgres:postgres "$want"
    chmod 700 "$want"
    if pg_as test -w "$want" -a -x "$want" 2>/dev/null; then
      PG_DATA="$want"
    else
      local hash fb
      hash="$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-10)"
      fb="/var/tmp/satupintu-pg-$hash"
      rmdir "$want" 2>/dev/null || true
      mkdir -p "$fb/pgdata"
      chown postgres:postgres "$fb" "$fb/pgdata"
      chmod 700 "$fb" "$fb/pgdata"
      echo "$fb" >"$STATE_DIR/pg-fallback-dir"
      PG_DATA="$fb/pgdata"
      if [[ ! -f "$STATE_DIR/.pg-fallback-noted" ]]; then
        log "user 'postgres' cannot reach $want (a parent folder is not traversable, e.g. a mktemp -d clone)"
        touch "$STATE_DIR/.pg-fallback-noted"
      fi
    fi
  else
    PG_RUN=()
    mkdir -p "$want"
    chmod 700 "$want"
    PG_DATA="$want"
  fi
  # unix socket: inside the data dir unless that path is too long for sun_path (107 bytes)
  if (( ${#PG_DATA} + 20 < 100 )); then PG_SOCKDIR="$PG_DATA"; else PG_SOCKDIR=/tmp; fi
}

# pg_as CMD... : run CMD as the PostgreSQL OS user, from / (the cwd may not be
# traversable by user 'postgres', e.g. inside a mktemp -d clone)
pg_as() { (cd / && "${PG_RUN[@]}" "$@"); }

pg_psql_admin() {
  pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1; }

pg_server_pid() {
  [[ -f "$PG_DATA/postmaster.pid" ]] || return 1
  local pid
  pid="$(read_pid "$PG_DATA/postmaster.pid")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

pg_url() { echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"; }

pg_up() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    log "DATABASE_URL is set in the environment; not starting a local PostgreSQL, only checking it"
    local isready
    isready="$(command -v pg_isready || true)"
    [[ -z "$isready" ]] && pg_find_bin && isready="$PG_BIN/pg_isready"
    if [[ -n "$isready" ]]; then
      "$isready" -q -d "$DATABASE_URL" -t 5 || die "DATABASE_URL does not answer (pg_isready failed)"
      log "DATABASE_URL answers"
    else
      warn "pg_isready not found; cannot check DATABASE_URL"
    fi
    return 0
  fi
  pg_setup_paths
  [[ "$PG_DATA" == "$STATE_DIR/pgdata" ]] || log "postgres data dir: $PG_DATA (fallback; user 'postgres' cannot reach $STATE_DIR)"
  local pidfile="$PID_DIR/postgres.pid" logfile="$LOG_DIR/postgres.log" pid
  if pid="$(pg_server_pid)"; then
    echo "$pid" >"$pidfile"
    if pg_ready; then
      pg_ensure_db
      log "postgres already running (pid $pid) on 127.0.0.1:$PG_PORT"
      return 0
    fi
    log "postgres process is running (pid $pid), waiting for it to become ready…"
  else
    rm -f "$pidfile"
    if port_open "$PG_PORT"; then
      die "port $PG_PORT is in use by another process (not our PostgreSQL in $PG_DATA); stop it or set SATUPINTU_PG_PORT"
    fi
    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
      log "initialising PostgreSQL cluster in $PG_DATA ($("$PG_BIN/postgres" --version))…"
      if ! pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=trust --auth-host=scram-sha-256 >>"$LOG_DIR/postgres-initdb.log" 2>&1; then
        show_log_tail "$LOG_DIR/postgres-initdb.log"
        die "initdb failed"
      fi
      cat >>"$PG_DATA/postgresql.conf" <<EOF

# ---- SatuPintu local dev stack (deploy/local/stack.sh) ----
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
password_encryption = 'scram-sha-256'
max_connections = 200
shared_buffers = 128MB
fsync = on
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    fi
    # keep port/socket in sync with the current settings (appended lines win)
    if ! grep -q "^port = $PG_PORT\$" "$PG_DATA/postgresql.conf" || ! grep -q "^unix_socket_directories = '$PG_SOCKDIR'\$" "$PG_DATA/postgresql.conf"; then
      printf "port = %s\nunix_socket_directories = '%s'\n" "$PG_PORT" "$PG_SOCKDIR" >>"$PG_DATA/postgresql.conf"
    fi
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT (data $PG_DATA)…"
    # postgres inherits the log fd opened here, so the log can live in $STATE even
    # when user 'postgres' cannot open paths below it.
    (cd / && spawn "$pidfile" "$logfile" "${PG_RUN[@]}" "$PG_BIN/postgres" -D "$PG_DATA")
  fi
  if ! wait_until "$PG_TIMEOUT" postgres "$pidfile" pg_ready; then
    show_log_tail "$logfile"
    die "PostgreSQL did not become ready on 127.0.0.1:$PG_PORT within ${PG_TIMEOUT}s (log: $logfile)"
  fi
  pid="$(pg_server_pid || true)"
  [[ -n "$pid" ]] && echo "$pid" >"$pidfile"
  pg_ensure_db
  log "postgres ready: $(pg_url) (pid ${pid:-?})"
}

pg_ensure_db() {
  if [[ "$(pg_psql_admin -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != 1 ]]; then
    log "creating role $PG_USER"
    pg_psql_admin -c "CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
  fi
  # Tests create a fresh database per test, so the application role may create databases.
  pg_psql_admin -c "ALTER ROLE $PG_USER CREATEDB"
  if [[ "$(pg_psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]]; then
    log "creating database $PG_DB"
    pg_psql_admin -c "CREATE DATABASE $PG_DB OWNER $PG_USER"
  fi
}

pg_down() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    log "DATABASE_URL is set; the local PostgreSQL is not managed in that case (unset it to stop ours)"
  fi
  pg_find_bin || { rm -f "$PID_DIR/postgres.pid"; return 0; }
  pg_setup_paths
  local pid
  if pid="$(pg_server_pid)"; then
    log "stopping postgres (pid $pid)…"
    if ! pg_as "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 30 >/dev/null 2>&1; then
      warn "pg_ctl stop failed; sending SIGKILL to $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "postgres stopped"
  fi
  rm -f "$PID_DIR/postgres.pid"
}

pg_status() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    echo "postgres  external DATABASE_URL is set"
    return 0
  fi
  if ! pg_find_bin; then echo "postgres  not installed"; return 0; fi
  pg_setup_paths
  local pid
  if pid="$(pg_server_pid)"; then
    if pg_ready; then
      echo "postgres  running  pid $pid  127.0.0.1:$PG_PORT  db $PG_DB  data $PG_DATA"
    else
      echo "postgres  starting pid $pid  (not accepting connections yet)"
    fi
  elif port_open "$PG_PORT"; then
    echo "postgres  foreign  port $PG_PORT is open but not our cluster ($PG_DATA)"
  else
    echo "postgres  stopped  data $PG_DATA"
  fi
}

# ----------------------------------------------------------------------------- jaeger
go_bin() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go
  else return 1
  fi
}

JAEGER_LDFLAGS="-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION -X github.com/jaegertracing/jaeger/internal/version.commitSHA=$JAEGER_MODULE_VERSION"

jaeger_build() {
  local go="$1" mod="$SCRIPT_DIR/jaeger" stamp="$CACHE_DIR/bin/jaeger.stamp" want
  want="$( { cat "$mod/go.mod" "$mod/go.sum"; echo "$JAEGER_LDFLAGS"; "$go" version; } | sha256sum | cut -c1-64)"
  if [[ -x "$JAEGER_BIN" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  mkdir -p "$CACHE_DIR/bin" "$LOG_DIR"
  local blog="$LOG_DIR/jaeger-build.log" start=$SECONDS
  log "building Jaeger $JAEGER_VERSION (github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION cmd/jaeger) -> $JAEGER_BIN"
  log "  first build takes several minutes on 2 cores (log: $blog)…"
  (cd "$mod" && GOFLAGS="${GOFLAGS:-} -mod=readonly" "$go" build -v -trimpath -ldflags "$JAEGER_LDFLAGS" \
      -o "$JAEGER_BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger) >"$blog" 2>&1 &
  local bpid=$!
  while kill -0 "$bpid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6; do kill -0 "$bpid" 2>/dev/null && sleep 5; done
    kill -0 "$bpid" 2>/dev/null || break
    log "  … still building ($((SECONDS - start))s, $(wc -l <"$blog") packages so far, last: $(tail -n1 "$blog" | cut -c1-80))"
  done
  if ! wait "$bpid"; then
    show_log_tail "$blog"
    die "Jaeger build failed (see $blog)"
  fi
  mv "$JAEGER_BIN.tmp" "$JAEGER_BIN"
  echo "$want" >"$stamp"
  log "Jaeger built in $((SECONDS - start))s"
}

jaeger_ready() {
  curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$JAEGER_UI_PORT/api/services" 2>/dev/null
}

jaeger_up() {
  local go pidfile="$PID_DIR/jaeger.pid"
  if pid_alive "$pidfile" jaeger; then
    if jaeger_ready; then
      log "jaeger already running (pid $(read_pid "$pidfile")) UI http://127.0.0.1:$JAEGER_UI_PORT"
      return 0
    fi
  else
    rm -f "$pidfile"
    if port_open "$JAEGER_UI_PORT"; then
      if jaeger_ready; then
        warn "port $JAEGER_UI_PORT is served by a Jaeger not started by this script; using it"
        return 0
      fi
      die "port $JAEGER_UI_PORT is in use by another process"
    fi
    if ! go="$(go_bin)"; then
      if [[ -x "$JAEGER_BIN" ]]; then
        warn "go not found; using the previously built $JAEGER_BIN"
      else
        warn "go toolchain not found: skipping Jaeger (tracing export will fail quietly). Install Go >= 1.24 to enable it."
        return 0
      fi
    else
      jaeger_build "$go"
    fi
    log "starting Jaeger $JAEGER_VERSION all-in-one (in-memory; OTLP gRPC :4317, OTLP HTTP :4318, UI :$JAEGER_UI_PORT)…"
    # No --config: the binary uses its built-in all-in-one configuration (memory
    # storage). Its receivers bind to ${JAEGER_LISTEN_HOST:-localhost}; the query
    # extension (UI/API) would bind to all interfaces, so pin it to loopback too.
    (cd "$STATE_DIR" && JAEGER_LISTEN_HOST="${JAEGER_LISTEN_HOST:-127.0.0.1}" \
      spawn "$pidfile" "$LOG_DIR/jaeger.log" "$JAEGER_BIN" \
        --set "extensions.jaeger_query.http.endpoint=127.0.0.1:$JAEGER_UI_PORT" \
        --set "extensions.jaeger_query.grpc.endpoint=127.0.0.1:16685")
  fi
  if ! wait_until "$JAEGER_TIMEOUT" jaeger "$pidfile" jaeger_ready; then
    show_log_tail "$LOG_DIR/jaeger.log"
    die "Jaeger did not answer http://127.0.0.1:$JAEGER_UI_PORT/api/services within ${JAEGER_TIMEOUT}s (log: $LOG_DIR/jaeger.log)"
  fi
  log "jaeger ready: UI http://127.0.0.1:$JAEGER_UI_PORT, OTLP grpc 127.0.0.1:4317 / http 127.0.0.1:4318 (pid $(read_pid "$pidfile"))"
}

jaeger_down() { stop_pid jaeger "$PID_DIR/jaeger.pid" 15; }

jaeger_status() {
  if pid_alive "$PID_DIR/jaeger.pid" jaeger; then
    if jaeger_ready; then
      echo "jaeger    running  pid $(read_pid "$PID_DIR/jaeger.pid")  UI http://127.0.0.1:$JAEGER_UI_PORT  OTLP 4317/4318"
    else
      echo "jaeger    starting pid $(read_pid "$PID_DIR/jaeger.pid")"
    fi
  elif port_open "$JAEGER_UI_PORT"; then
    echo "jaeger    foreign  port $JAEGER_UI_PORT is open but not started by this script"
  elif [[ -x "$JAEGER_BIN" ]]; then
    echo "jaeger    stopped  (binary built: $JAEGER_BIN)"
  else
    echo "jaeger    stopped  (not built yet)"
  fi
}

# ----------------------------------------------------------------------------- commands
parse_components() {
  COMPONENTS=()
  local c
  if (($# == 0)); then COMPONENTS=("${ALL_COMPONENTS[@]}"); return 0; fi
  for c in "$@"; do
    case "$c" in
      kafka | postgres | jaeger) COMPONENTS+=("$c") ;;
      pg | postgresql) COMPONENTS+=(postgres) ;;
      all) COMPONENTS=("${ALL_COMPONENTS[@]}") ;;
      *) die "unknown component '$c' (expected: kafka, postgres, jaeger)" ;;
    esac
  done
}

cmd_up() {
  parse_components "$@"
  ensure_state_dirs
  local c start=$SECONDS
  # fixed order: postgres (fast), kafka, jaeger (may need a long first build)
  for c in postgres kafka jaeger; do
    [[ " ${COMPONENTS[*]} " == *" $c "* ]] || continue
    case "$c" in
      postgres) pg_up ;;
      kafka) kafka_up ;;
      jaeger) jaeger_up ;;
    esac
  done
  log "up done in $((SECONDS - start))s"
}

cmd_down() {
  parse_components "$@"
  ensure_state_dirs
  local c
  for c in jaeger kafka postgres; do
    [[ " ${COMPONENTS[*]} " == *" $c "* ]] || continue
    case "$c" in
      postgres) pg_down ;;
      kafka) kafka_down ;;
      jaeger) jaeger_down ;;
    esac
  done
}

cmd_status() {
  ensure_state_dirs
  echo "state: $STATE_DIR"
  echo "cache: $CACHE_DIR"
  pg_status
  kafka_status
  jaeger_status
}

cmd_clean() {
  cmd_down
  local fb=""
  [[ -f "$STATE_DIR/pg-fallback-dir" ]] && fb="$(cat "$STATE_DIR/pg-fallback-dir")"
  if [[ -n "$fb" && "$fb" == /var/tmp/satupintu-pg-* && -d "$fb" ]]; then
    log "removing $fb"
    rm -rf "$fb"
  fi
  log "removing $STATE_DIR (cache $CACHE_DIR is kept)"
  rm -rf "$STATE_DIR"
}

cmd_logs() {
  local n=40 comps=() c f
  while (($#)); do
    case "$1" in
      -n) n="$2"; shift 2 ;;
      *) comps+=("$1"); shift ;;
    esac
  done
  parse_components "${comps[@]+"${comps[@]}"}"
  for c in "${COMPONENTS[@]}"; do
    case "$c" in
      kafka) set -- "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.out" ;;
      postgres) set -- "$LOG_DIR/postgres.log" ;;
      jaeger) set -- "$LOG_DIR/jaeger.log" ;;
    esac
    for f in "$@"; do
      [[ -s "$f" ]] || continue
      echo "==> $f <=="
      tail -n "$n" "$f"
      echo
    done
  done
}

cmd_env() {
  echo "export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT"
  # The admin tool's credentials: what an operator's shell uses for the satupintu CLI.
  echo "export KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT KAFKA_SASL_MECHANISM=SCRAM-SHA-512"
  echo "export KAFKA_SASL_USERNAME=satupintu-admin KAFKA_SASL_PASSWORD_FILE=$SECRETS_DIR/kafka/satupintu-admin"
  if [[ -n "${DATABASE_URL:-}" ]]; then
    printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"
  else
    echo "export DATABASE_URL=$(pg_url)"
  fi
  # the services export spans over OTLP/HTTP (satupintu_shared.telemetry)
  echo "export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318"
}

cmd_kafka_tool() {
  (($#)) || die "usage: stack.sh kafka-tool CLASS [ARGS...]  (e.g. org.apache.kafka.tools.ProducerPerformance …)"
  kafka_resolve_jars
  # Kafka's tools take the admin's client settings with --command-config (or --producer.config …):
  # $SECRETS_DIR/kafka-admin.properties
  exec "$(java_bin)" -Xmx512m -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/tools-log4j2.xml" \
    -cp "$KAFKA_LIB/*" "$@"
}

usage() {
  sed -n '2,/^set -euo pipefail/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  (($#)) && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down | stop) cmd_down "$@" ;;
    status) cmd_status ;;
    clean) cmd_clean ;;
    logs) cmd_logs "$@" ;;
    env) cmd_env ;;
    kafka-tool) cmd_kafka_tool "$@" ;;
    secrets) secrets_ensure; log "secrets ready in $SECRETS_DIR (owner-only)" ;;
    -h | --help | help | "") usage ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
  esac
}

main "$@"
