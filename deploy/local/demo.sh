#!/usr/bin/env bash
# Starts and stops the live demo traffic (simulated agency systems and citizens) as a background process.
#   demo.sh up | down | status
# Log in $STATE/logs/demo.log, pid in $STATE/pids/demo.pid. `up` is idempotent and returns once the
# process runs (it needs no readiness of its own: it waits for the catalog and for intake by itself).
# Settings: DEMO_SUBMISSIONS_PER_MINUTE (default 30) and the rest in deploy/demo/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SATUPINTU_STATE_DIR:-$ROOT/.state}"
mkdir -p "$STATE/logs" "$STATE/pids"
SECRETS="${SATUPINTU_SECRETS_DIR:-$STATE/secrets}"
PIDFILE="$STATE/pids/demo.pid"
LOGFILE="$STATE/logs/demo.log"

log() { printf '[demo] %s\n' "$*"; }

alive() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

up() {
  if alive; then
    log "already running (pid $(cat "$PIDFILE"))"
    return
  fi
  # Jaeger receives the traces when it runs here; otherwise spans are not exported.
  if [[ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]] && curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:16686/api/services; then
    export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
  fi
  log "starting demo traffic (${DEMO_SUBMISSIONS_PER_MINUTE:-30} requests/minute)"
  # `cd` first, then start: `(cd && cmd) &` would record the pid of a wrapper shell, not of the demo.
  # The process reads the catalog as satupintu-demo; each simulated agency connects with its own
  # credentials, saved by `make up` (`satupintu agency credentials save`) in $SECRETS/agencies.
  (cd "$ROOT" || exit 1
   KAFKA_SASL_USERNAME=satupintu-demo KAFKA_SASL_PASSWORD_FILE="$SECRETS/kafka/satupintu-demo" \
     DEMO_AGENCY_CREDENTIALS_DIR="${DEMO_AGENCY_CREDENTIALS_DIR:-$SECRETS/agencies}" \
     nohup "$ROOT/.venv/bin/satupintu-demo" >>"$LOGFILE" 2>&1 &
   echo $! >"$PIDFILE")
  sleep 2
  if ! alive; then
    tail -n 40 "$LOGFILE" >&2 || true
    log "demo exited during start-up (log: $LOGFILE)"; exit 1
  fi
  log "running (pid $(cat "$PIDFILE"), log: $LOGFILE)"
}

down() {
  if alive; then
    local pid; pid="$(cat "$PIDFILE")"
    log "stopping demo traffic (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

status() {
  if alive; then echo "demo  running  (pid $(cat "$PIDFILE"), log $LOGFILE)"; else echo "demo  stopped"; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
