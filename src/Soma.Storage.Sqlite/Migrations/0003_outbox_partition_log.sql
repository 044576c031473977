-- Replaying one run's (or session's) events in order.
CREATE INDEX outbox_partition_log ON outbox (tenant_id, partition_key, id) WHERE partition_key IS NOT NULL;
