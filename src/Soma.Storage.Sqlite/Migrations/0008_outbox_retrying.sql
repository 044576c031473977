-- Rows refused at least once and waiting for their next attempt: an in-order claim (memory writes) skips their
-- partitions, and this index finds them without reading every pending row.
CREATE INDEX outbox_retrying ON outbox (next_attempt_at) WHERE status = 0 AND attempts > 0;
