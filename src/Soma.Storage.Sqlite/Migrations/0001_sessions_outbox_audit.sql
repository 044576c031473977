-- Sessions and their messages. Times are UTC ticks (100 ns) so they round-trip exactly; ids are lowercase UUID text.
CREATE TABLE sessions (
    tenant_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    title      TEXT,
    metadata   TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE INDEX sessions_newest ON sessions (tenant_id, created_at DESC, id DESC);

CREATE TABLE session_messages (
    tenant_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    session_id TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    metadata   TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX session_messages_in_order ON session_messages (tenant_id, session_id, created_at, id);

-- The transactional outbox. status: 0 pending, 1 sent, 2 dead-lettered.
CREATE TABLE outbox (
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
    sent_at          INTEGER,
    UNIQUE (tenant_id, topic, dedupe_key)
);

CREATE INDEX outbox_pending ON outbox (created_at, id) WHERE status = 0;
CREATE INDEX outbox_dead_lettered ON outbox (tenant_id, created_at, id) WHERE status = 2;

CREATE TABLE audit_log (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    time            INTEGER NOT NULL,
    actor           TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    resource        TEXT    NOT NULL,
    decision        TEXT    NOT NULL,
    reason          TEXT,
    policy_revision TEXT,
    trace_id        TEXT,
    details         TEXT,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE INDEX audit_log_newest ON audit_log (tenant_id, time DESC, id DESC);
CREATE INDEX audit_log_by_action ON audit_log (tenant_id, action, time DESC, id DESC);
