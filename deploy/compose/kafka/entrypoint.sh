#!/usr/bin/env bash
# Entrypoint of the compose file's Kafka (apache/kafka image): renders server.properties from the
# mounted secrets, formats the storage once with the super users' SCRAM credentials, starts the broker.
#
# It replaces the image's own start script, which formats storage without SCRAM credentials: on a
# broker whose every listener requires SASL, the broker's inter-broker login and the admin tool's
# first login have to exist in the initial metadata, before anything could create users through the API.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SECRETS="${SATUPINTU_SECRETS_DIR:-/run/satupintu/secrets}"
KAFKA_HOME="${KAFKA_HOME:-/opt/kafka}"
DATA="${KAFKA_DATA_DIR:-/var/lib/kafka/data}"
CONFIG="${KAFKA_RENDERED_CONFIG:-/tmp/satupintu-kafka/server.properties}"
SECURED_MARK="$DATA/.satupintu-secured"

log() { printf '[kafka-entrypoint] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

secret() {
  [[ -r "$1" ]] || die "cannot read $1 (as uid $(id -u)): generate the secrets on the host with" \
    "'deploy/local/stack.sh secrets'; see deploy/compose/README.md when Kafka's user cannot read them"
  tr -d '[:space:]' <"$1"
}

# Assignments, so that a missing secret stops the start (set -e) instead of rendering an empty password.
controller_password="$(secret "$SECRETS/kafka-controller-password")"
broker_password="$(secret "$SECRETS/kafka/satupintu-broker")"
admin_password="$(secret "$SECRETS/kafka/satupintu-admin")"
keystore_password="$(secret "$SECRETS/tls/broker.p12.password")"

umask 077 # the rendered configuration holds passwords
mkdir -p "$(dirname "$CONFIG")"
sed -e "s#@SECRETS_DIR@#$SECRETS#g" \
  -e "s#@CONTROLLER_PASSWORD@#$controller_password#g" \
  -e "s#@BROKER_PASSWORD@#$broker_password#g" \
  -e "s#@TLS_KEYSTORE_PASSWORD@#$keystore_password#g" \
  "$HERE/server.properties" >"$CONFIG.tmp"
mv "$CONFIG.tmp" "$CONFIG"

if [[ ! -f "$DATA/meta.properties" ]]; then
  cluster_id="$("$KAFKA_HOME/bin/kafka-storage.sh" random-uuid | tail -n1 | tr -d '[:space:]')"
  log "formatting $DATA (cluster id $cluster_id) with the SCRAM credentials of satupintu-broker and satupintu-admin"
  "$KAFKA_HOME/bin/kafka-storage.sh" format -t "$cluster_id" -c "$CONFIG" \
    --add-scram "SCRAM-SHA-512=[name=satupintu-broker,password=$broker_password]" \
    --add-scram "SCRAM-SHA-512=[name=satupintu-admin,password=$admin_password]"
  touch "$SECURED_MARK"
elif [[ ! -f "$SECURED_MARK" ]]; then
  die "$DATA was formatted before the broker required SASL (no satupintu-broker credentials in its" \
    "metadata): remove the volume ('docker compose -f deploy/compose/compose.yaml down -v') and start again"
fi

log "starting Kafka (SASL/SCRAM-SHA-512 on every client listener, ACLs required)"
exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$CONFIG"
