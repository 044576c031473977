-- A session's durable event log: per-session sequence numbers handed out in commit order (the SSE ids). The
-- UPDATE of sessions.last_seq locks the session row, so concurrent appends to one session take turns.
ALTER TABLE sessions ADD COLUMN last_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE session_events (
    tenant_id  text        NOT NULL,
    session_id uuid        NOT NULL,
    seq        bigint      NOT NULL,
    id         uuid        NOT NULL,
    type       text        NOT NULL,
    payload    text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, session_id, seq),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
);

-- Model token usage per tenant, UTC day and model.
CREATE TABLE usage_daily (
    tenant_id     text   NOT NULL,
    day           date   NOT NULL,
    model         text   NOT NULL,
    calls         bigint NOT NULL,
    input_tokens  bigint NOT NULL,
    output_tokens bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, model)
);
