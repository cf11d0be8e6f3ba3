-- Idempotency keys: key → the request's fingerprint and the tracking number it got. A key is reserved
-- before the submitted event is published and marked published after the broker's ack; a reserved but
-- unpublished key is re-published with the same tracking number and event id on retry.
CREATE TABLE idempotency_keys (
    key             text PRIMARY KEY,
    fingerprint     text NOT NULL,
    tracking_number text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    published       boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The citizen-facing status read model, fed by the lifecycle topic. Personal data only masked.
CREATE TABLE request_status (
    tracking_number   text PRIMARY KEY,
    service_code      text,
    region_code       text,
    channel           text,
    status            text NOT NULL,
    agency_code       text,
    due_at            timestamptz,
    applicant_summary jsonb NOT NULL DEFAULT '{}'::jsonb,
    submitted_at      timestamptz,
    updated_at        timestamptz NOT NULL,
    last_event_id     text
);
CREATE INDEX request_status_submitted_at ON request_status (submitted_at);
CREATE INDEX request_status_service_code ON request_status (service_code, submitted_at);

-- One survey per request (PermenPANRB 14/2017 elements), only after completion.
CREATE TABLE surveys (
    tracking_number text PRIMARY KEY,
    agency_code     text,
    answers         jsonb NOT NULL,
    event_id        text NOT NULL,
    answered_at     timestamptz NOT NULL DEFAULT now()
);
