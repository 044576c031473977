-- A pending row was an entry in three partial indexes besides the table, its id and its dedupe key: outbox_pending
-- (created_at, id), outbox_pending_topic (topic, tenant_id, created_at, id) and outbox_pending_topic_order
-- (topic, created_at, id). Every event a run's step commits went into all three, and being sent took it out of all three:
-- of the 22–23 pages a step's commit wrote to the log, about 8 were these indexes. One index now serves every reader:
-- a claim of some topics reads each topic's oldest rows in order (topic, created_at, id); a claim of every topic first
-- finds the pending topics by seeking from one to the next (few, whatever the backlog); the per-tenant counts read
-- the tenant from the index without the table (tenant_id last).
DROP INDEX IF EXISTS outbox_pending;
DROP INDEX IF EXISTS outbox_pending_topic;
DROP INDEX IF EXISTS outbox_pending_topic_order;
CREATE INDEX outbox_pending_by_topic ON outbox (topic, created_at, id, tenant_id) WHERE status = 0;
