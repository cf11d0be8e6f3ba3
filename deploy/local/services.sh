#!/usr/bin/env bash
# Starts and stops the three SatuPintu services as background processes (no Docker).
#   services.sh up | down | status
# Logs in $STATE/logs/<service>.log, pids in $STATE/pids/<service>.pid. `up` is idempotent and returns
# only when every service's /readyz answers 200.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SATUPINTU_STATE_DIR:-$ROOT/.state}"
mkdir -p "$STATE/logs" "$STATE/pids"
SECRETS="${SATUPINTU_SECRETS_DIR:-$STATE/secrets}"
SERVICES=(intake:8080 routing:8081 performance:8082)
READY_TIMEOUT="${SATUPINTU_READY_TIMEOUT:-90}"

log() { printf '[services] %s\n' "$*"; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_of() {
  local name="$1" default="$2" var
  var="$(tr '[:lower:]' '[:upper:]' <<<"$name")_PORT"
  echo "${!var:-$default}"
}

ready() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$1/readyz"; }

up() {
  # Jaeger receives the traces when it runs here; otherwise spans are not exported.
  if [[ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]] && curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:16686/api/services; then
    export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
  fi
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" port pidfile
    port="$(port_of "$name" "${entry##*:}")"
    pidfile="$STATE/pids/$name.pid"
    if alive "$pidfile"; then
      log "$name already running (pid $(cat "$pidfile"))"
      continue
    fi
    log "starting $name on 127.0.0.1:$port"
    # A simple command (not a list) in the background, so $! is the service itself and SIGTERM reaches it.
    cd "$ROOT"
    # Each service is its own Kafka principal (docs/security.md) and reads the operator tokens'
    # files; the secrets stay in files, only their paths are in the environment.
    KAFKA_SASL_USERNAME="satupintu-$name" KAFKA_SASL_PASSWORD_FILE="$SECRETS/kafka/satupintu-$name" \
      SATUPINTU_OPERATOR_TOKEN_FILE="$SECRETS/operator-token" SATUPINTU_ADMIN_TOKEN_FILE="$SECRETS/admin-token" \
      INTAKE_OPEN311_API_KEYS_FILE="$SECRETS/open311-api-key" \
      nohup "$ROOT/.venv/bin/$name" >>"$STATE/logs/$name.log" 2>&1 &
    echo $! >"$pidfile"
  done
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" port waited=0
    port="$(port_of "$name" "${entry##*:}")"
    until ready "$port"; do
      if ! alive "$STATE/pids/$name.pid"; then
        tail -n 40 "$STATE/logs/$name.log" >&2 || true
        log "$name exited during start-up (log: $STATE/logs/$name.log)"; exit 1
      fi
      if (( waited >= READY_TIMEOUT )); then
        tail -n 40 "$STATE/logs/$name.log" >&2 || true
        log "$name not ready after ${READY_TIMEOUT}s (log: $STATE/logs/$name.log)"; exit 1
      fi
      sleep 1; waited=$((waited + 1))
    done
    log "$name ready: http://127.0.0.1:$port"
  done
}

down() {
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" pidfile="$STATE/pids/${entry%%:*}.pid"
    if alive "$pidfile"; then
      local pid; pid="$(cat "$pidfile")"
      log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

status() {
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" port
    port="$(port_of "$name" "${entry##*:}")"
    if alive "$STATE/pids/$name.pid"; then
      if ready "$port"; then echo "$name  ready    http://127.0.0.1:$port"; else echo "$name  starting http://127.0.0.1:$port"; fi
    else
      echo "$name  stopped"
    fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
