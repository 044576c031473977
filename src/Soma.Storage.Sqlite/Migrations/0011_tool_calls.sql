-- Tool analytics (GET /v1/tools/stats): one row per finished tool call, written in the transaction that commits the
-- call's agent.tools.v1 events. The key clusters a tenant's calls by time, so a window is one range scan; the
-- second index serves the per-tool filter. outcome: succeeded, failed or denied; at: UTC ticks.
CREATE TABLE tool_calls (
    tenant_id   TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    id          TEXT    NOT NULL,
    tool        TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    error_code  TEXT,
    duration_ms REAL    NOT NULL,
    bytes       INTEGER NOT NULL,
    sandbox     TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, at, id)
) WITHOUT ROWID;

CREATE INDEX tool_calls_by_tool ON tool_calls (tenant_id, tool, at);
