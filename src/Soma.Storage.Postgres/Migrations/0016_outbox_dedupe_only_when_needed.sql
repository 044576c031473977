-- An event's outbox row is deduplicated by its id (its dedupe key is its id), and the id is the table's primary key,
-- unique already. The dedupe constraint now covers only the rows whose dedupe key is something else (memory writes,
-- links), so an event's insert writes one B-tree fewer. An append skips a row that conflicts with either: the same id,
-- or the same (tenant, topic, dedupe key).
ALTER TABLE outbox DROP CONSTRAINT outbox_dedupe;
CREATE UNIQUE INDEX outbox_dedupe ON outbox (tenant_id, topic, dedupe_key) WHERE dedupe_key <> id::text;
