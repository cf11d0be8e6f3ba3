-- Idempotency keys expire (INTAKE_IDEMPOTENCY_TTL_HOURS, 72 h by default): an expired key presented again
-- is forgotten and reserved anew, and expired keys are purged in bulk by age. Keys are namespaced by door
-- and client (http:, open311:<client>:, agency:<agency>:, kafka:<agency>:), see adapters/idempotency.py.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
