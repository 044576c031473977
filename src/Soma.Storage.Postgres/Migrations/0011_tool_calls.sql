-- Tool analytics (GET /v1/tools/stats): one row per finished tool call, written in the transaction that commits the
-- call's agent.tools.v1 events. The key orders a tenant's calls by time, so a window is one index range; the second
-- index serves the per-tool filter. outcome: succeeded, failed or denied.
CREATE TABLE tool_calls (
    tenant_id   text             NOT NULL,
    at          timestamptz      NOT NULL,
    id          uuid             NOT NULL,
    tool        text             NOT NULL,
    outcome     text             NOT NULL,
    error_code  text,
    duration_ms double precision NOT NULL,
    bytes       bigint           NOT NULL,
    sandbox     text             NOT NULL,
    PRIMARY KEY (tenant_id, at, id)
);

CREATE INDEX tool_calls_by_tool ON tool_calls (tenant_id, tool, at);
