-- routing's own schema; the runner sets search_path to it.

-- The current assignment of each request: who holds it, since when, due when, and why.
CREATE TABLE assignments (
    tracking_number   text PRIMARY KEY,
    service_code      text NOT NULL,
    region_code       text NOT NULL,
    agency_code       text,                    -- NULL once unroutable
    status            text NOT NULL,           -- routed, escalated, accepted, in_progress, completed, rejected, unroutable
    since             timestamptz NOT NULL,    -- when the current agency got it
    due_at            timestamptz,
    sla_working_days  int,
    hop               int NOT NULL DEFAULT 0,  -- re-routes after returns
    escalation_level  int NOT NULL DEFAULT 0,
    escalation_exhausted boolean NOT NULL DEFAULT false,
    returned_by       text[] NOT NULL DEFAULT '{}',
    reason            jsonb NOT NULL,          -- RoutingReason of the current assignment
    -- What the agency inbox needs to forward the request on a re-route or escalation (personal
    -- data): cleared as soon as the request is completed, rejected or unroutable.
    request           jsonb,
    trace_id          text,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- The watchdog's scan: open, overdue, still escalatable.
CREATE INDEX assignments_overdue ON assignments (due_at)
    WHERE status IN ('routed', 'escalated', 'accepted', 'in_progress') AND NOT escalation_exhausted;

-- Consumed events already handled (dedupe of redeliveries).
CREATE TABLE processed_events (
    event_key    text PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- Transactional outbox: events written with the state change, published after commit, deleted
-- once the broker acknowledged them. Event ids are deterministic, so a re-publish deduplicates.
CREATE TABLE outbox (
    seq          bigserial PRIMARY KEY,
    event_id     text NOT NULL UNIQUE,
    topic        text NOT NULL,
    event_type   text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
