-- performance's own schema; the runner sets search_path to it.

-- Append-only history of every lifecycle event, unique by CloudEvent id. No personal data.
CREATE TABLE events (
    event_id        text PRIMARY KEY,
    tracking_number text NOT NULL,
    type            text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    agency_code     text,
    officer_id      text,
    trace_id        text,
    payload         jsonb NOT NULL,
    kafka_partition int NOT NULL,
    kafka_offset    bigint NOT NULL,
    ingested_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_by_request ON events (tracking_number, occurred_at, kafka_offset);
CREATE INDEX events_by_type_time ON events (type, occurred_at);
CREATE INDEX events_by_officer ON events (officer_id, occurred_at) WHERE officer_id IS NOT NULL;

-- Current state of each request (the read model), advanced only by newer events.
CREATE TABLE requests (
    tracking_number   text PRIMARY KEY,
    status            text,
    status_at         timestamptz,
    service_code      text,
    region_code       text,
    channel           text,
    agency_code       text,
    officer_id        text,
    submitted_at      timestamptz,
    routed_at         timestamptz,
    assigned_at       timestamptz,
    due_at            timestamptz,
    sla_working_days  int,
    completed_at      timestamptz,
    closed_at         timestamptz,
    breached          boolean NOT NULL DEFAULT false,
    breached_at       timestamptz,
    returns           int NOT NULL DEFAULT 0,
    escalations       int NOT NULL DEFAULT 0,
    hops              int NOT NULL DEFAULT 0,
    unroutable_reason text,
    last_event_type   text,
    trace_id          text,
    surveyed_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_by_status ON requests (status, agency_code);
CREATE INDEX requests_open_due ON requests (due_at)
    WHERE status IN ('submitted', 'routed', 'accepted', 'in_progress', 'returned', 'escalated');
CREATE INDEX requests_breached ON requests (breached_at) WHERE breached;
CREATE INDEX requests_by_agency ON requests (agency_code, status_at);

-- One row per agency holding a request: the fact table of agency and officer scorecards (a rollup of
-- the event history, about one row per five events).
CREATE TABLE assignments (
    assignment_id   text PRIMARY KEY,
    tracking_number text NOT NULL,
    agency_code     text NOT NULL,
    service_code    text,
    assigned_at     timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    rule            text,
    hop             int NOT NULL DEFAULT 0,
    accepted_at     timestamptz,
    officer_id      text,
    ended_at        timestamptz,
    outcome         text,
    turnaround_wd   int,
    on_time         boolean
);
CREATE INDEX assignments_received ON assignments (agency_code, assigned_at);
CREATE INDEX assignments_ended ON assignments (agency_code, ended_at) INCLUDE (outcome, on_time, turnaround_wd);
CREATE INDEX assignments_open ON assignments (tracking_number) WHERE ended_at IS NULL;
CREATE INDEX assignments_open_by_agency ON assignments (agency_code, assigned_at) WHERE ended_at IS NULL;
CREATE INDEX assignments_by_officer ON assignments (officer_id, ended_at) WHERE officer_id IS NOT NULL;

-- Satisfaction surveys (PermenPANRB 14/2017: nine elements scored 1..4), one per request.
CREATE TABLE surveys (
    tracking_number       text PRIMARY KEY,
    agency_code           text,
    answered_at           timestamptz NOT NULL,
    requirements          smallint NOT NULL CHECK (requirements BETWEEN 1 AND 4),
    procedure             smallint NOT NULL CHECK (procedure BETWEEN 1 AND 4),
    completion_time       smallint NOT NULL CHECK (completion_time BETWEEN 1 AND 4),
    cost                  smallint NOT NULL CHECK (cost BETWEEN 1 AND 4),
    product_specification smallint NOT NULL CHECK (product_specification BETWEEN 1 AND 4),
    officer_competence    smallint NOT NULL CHECK (officer_competence BETWEEN 1 AND 4),
    officer_behaviour     smallint NOT NULL CHECK (officer_behaviour BETWEEN 1 AND 4),
    facilities            smallint NOT NULL CHECK (facilities BETWEEN 1 AND 4),
    complaint_handling    smallint NOT NULL CHECK (complaint_handling BETWEEN 1 AND 4)
);
CREATE INDEX surveys_by_agency ON surveys (agency_code, answered_at);

-- Records other consumers (and this one) dead-lettered: metadata only, never the value.
CREATE TABLE dead_letters (
    dlq_partition   int NOT NULL,
    dlq_offset      bigint NOT NULL,
    received_at     timestamptz NOT NULL,
    reason          text NOT NULL,
    kind            text,
    source_topic    text,
    source_partition int,
    source_offset   bigint,
    consumer_group  text,
    event_type      text,
    event_id        text,
    tracking_number text,
    PRIMARY KEY (dlq_partition, dlq_offset)
);
CREATE INDEX dead_letters_by_time ON dead_letters (received_at DESC);

CREATE INDEX events_by_agency_officer ON events (agency_code, occurred_at) WHERE officer_id IS NOT NULL;
