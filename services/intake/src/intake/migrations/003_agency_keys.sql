-- API keys of agency systems that report status over HTTP (POST /v1/agency/status). Only a hash of
-- the secret is stored; an agency may hold several active keys (rotation), each revocable.
CREATE TABLE agency_api_keys (
    key_id       text PRIMARY KEY,
    agency_code  text NOT NULL,
    secret_hash  bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX agency_api_keys_agency ON agency_api_keys (agency_code, created_at);
