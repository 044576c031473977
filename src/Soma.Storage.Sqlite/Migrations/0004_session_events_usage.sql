-- A session's durable event log: per-session sequence numbers handed out in commit order (the SSE ids).
ALTER TABLE sessions ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE session_events (
    tenant_id  TEXT    NOT NULL,
    session_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    id         TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, session_id, seq),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Model token usage per tenant, UTC day (yyyy-MM-dd) and model.
CREATE TABLE usage_daily (
    tenant_id     TEXT    NOT NULL,
    day           TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    calls         INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, model)
) WITHOUT ROWID;
