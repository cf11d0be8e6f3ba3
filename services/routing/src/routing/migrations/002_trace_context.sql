-- Trace context kept with routing's state (issue 6).

-- The span that routed the request (in the request's trace): later work on the request (an agency's
-- report, an escalation) starts its own trace with a span link to it. trace_id is already stored.
ALTER TABLE assignments ADD COLUMN span_id text;

-- The W3C traceparent under which an outbox event was queued: the relay publishes it within that
-- context, so an event published after a crash, or by a batch of escalations, keeps its own trace.
ALTER TABLE outbox ADD COLUMN traceparent text;
