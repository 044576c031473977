-- The memory service's store: memories by (tenant, namespace, key), searched through a generated tsvector with a
-- GIN index. The value is kept as the JSON text that was sent (jsonb would reorder its keys).
CREATE TABLE memories (
    tenant_id  text        NOT NULL,
    namespace  text        NOT NULL,
    key        text        NOT NULL,
    value      text        NOT NULL,
    content    text        NOT NULL,
    search     tsvector    GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,
    tags       text[]      NOT NULL,
    trace_id   text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, namespace, key)
);

CREATE INDEX memories_search ON memories USING gin (search);

-- /link names no namespace: a link's source is found by tenant and key.
CREATE INDEX memories_tenant_key ON memories (tenant_id, key);

-- Links between memories of one tenant.
CREATE TABLE memory_links (
    tenant_id text             NOT NULL,
    from_key  text             NOT NULL,
    to_key    text             NOT NULL,
    rel       text             NOT NULL,
    weight    double precision NOT NULL,
    PRIMARY KEY (tenant_id, from_key, to_key, rel)
);
