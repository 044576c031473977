CREATE TABLE sessions (
    tenant_id  text        NOT NULL,
    id         uuid        NOT NULL,
    title      text,
    metadata   json,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX sessions_newest ON sessions (tenant_id, created_at DESC, id DESC);

CREATE TABLE session_messages (
    tenant_id  text        NOT NULL,
    id         uuid        NOT NULL,
    session_id uuid        NOT NULL,
    role       text        NOT NULL,
    content    text        NOT NULL,
    metadata   json,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX session_messages_in_order ON session_messages (tenant_id, session_id, created_at, id);

-- The transactional outbox. status: 0 pending, 1 sent, 2 dead-lettered.
CREATE TABLE outbox (
    id               uuid        NOT NULL PRIMARY KEY,
    tenant_id        text        NOT NULL,
    topic            text        NOT NULL,
    dedupe_key       text        NOT NULL,
    partition_key    text,
    payload          text        NOT NULL,
    created_at       timestamptz NOT NULL,
    status           smallint    NOT NULL DEFAULT 0,
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    lease_owner      text,
    lease_expires_at timestamptz,
    last_error       text,
    sent_at          timestamptz,
    CONSTRAINT outbox_dedupe UNIQUE (tenant_id, topic, dedupe_key)
);

CREATE INDEX outbox_pending ON outbox (created_at, id) WHERE status = 0;
CREATE INDEX outbox_dead_lettered ON outbox (tenant_id, created_at, id) WHERE status = 2;

CREATE TABLE audit_log (
    tenant_id       text        NOT NULL,
    id              uuid        NOT NULL,
    time            timestamptz NOT NULL,
    actor           text        NOT NULL,
    action          text        NOT NULL,
    resource        text        NOT NULL,
    decision        text        NOT NULL,
    reason          text,
    policy_revision text,
    trace_id        text,
    details         text,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX audit_log_newest ON audit_log (tenant_id, time DESC, id DESC);
CREATE INDEX audit_log_by_action ON audit_log (tenant_id, action, time DESC, id DESC);
