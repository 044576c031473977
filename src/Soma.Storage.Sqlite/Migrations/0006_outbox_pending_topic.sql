-- Memory writes are claimed and counted by topic while other pending rows (events kept as a run's log) may be many:
-- this index lets a claim or a per-tenant count of one topic family read only that family's pending rows.
CREATE INDEX outbox_pending_topic ON outbox (topic, tenant_id, created_at, id) WHERE status = 0;
