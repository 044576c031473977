-- An event's outbox row is deduplicated by its id (its dedupe key is its id), and the id is the table's primary key,
-- unique already. Yet every row was also an entry in the UNIQUE (tenant_id, topic, dedupe_key) index of the table's
-- definition: about 3.4 of the 16.7 log pages a durable step's commit wrote. The table is rebuilt without that
-- constraint, and the dedupe index keeps only the rows whose dedupe key is something else (memory writes, links). An
-- append skips a row that conflicts with either: the same id, or the same (tenant, topic, dedupe key).
CREATE TABLE outbox_rebuilt (
    id               TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT    NOT NULL,
    topic            TEXT    NOT NULL,
    dedupe_key       TEXT    NOT NULL,
    partition_key    TEXT,
    payload          TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    status           INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    last_error       TEXT,
    sent_at          INTEGER
);

INSERT INTO outbox_rebuilt (id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, status, attempts,
    next_attempt_at, lease_owner, lease_expires_at, last_error, sent_at)
SELECT id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, status, attempts,
    next_attempt_at, lease_owner, lease_expires_at, last_error, sent_at
FROM outbox ORDER BY rowid;

DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;

CREATE UNIQUE INDEX outbox_dedupe ON outbox (tenant_id, topic, dedupe_key) WHERE dedupe_key <> id;
CREATE INDEX outbox_dead_lettered ON outbox (tenant_id, created_at, id) WHERE status = 2;
CREATE INDEX outbox_partition_log ON outbox (tenant_id, partition_key, id) WHERE partition_key IS NOT NULL;
CREATE INDEX outbox_leased ON outbox (lease_expires_at) WHERE status = 0 AND lease_expires_at IS NOT NULL;
CREATE INDEX outbox_retrying ON outbox (next_attempt_at) WHERE status = 0 AND attempts > 0;
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE status = 1;
CREATE INDEX outbox_pending_by_topic ON outbox (topic, created_at, id, tenant_id) WHERE status = 0;
