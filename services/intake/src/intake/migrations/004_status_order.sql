-- When the request's current status happened (the occurred_at of the event that set it): a duplicate or
-- late lifecycle event older than that leaves the status alone, so the citizen's view never goes back.
ALTER TABLE request_status ADD COLUMN status_at timestamptz;
UPDATE request_status SET status_at = updated_at;
