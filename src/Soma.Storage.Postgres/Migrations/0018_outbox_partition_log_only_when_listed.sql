-- A session's conversation events were entries of the partition index (tenant_id, partition_key, id) though nothing
-- lists them by partition: the session's log keeps them. With many sessions receiving messages, each message's entry
-- went into its own session's leaf of that index, a different page for each. A row now says whether it is listed by
-- partition (in_partition_log, true unless its writer says otherwise), and the index keeps only those rows. The row
-- keeps its partition key, by which claims keep its partition's order.
ALTER TABLE outbox ADD COLUMN in_partition_log boolean NOT NULL DEFAULT true;
DROP INDEX outbox_partition_log;
CREATE INDEX outbox_partition_log ON outbox (tenant_id, partition_key, id) WHERE partition_key IS NOT NULL AND in_partition_log;
