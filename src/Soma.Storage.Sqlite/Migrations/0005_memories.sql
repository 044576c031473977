-- The memory service's store. (tenant_id, namespace, key) is the memory's identity; the integer id exists because
-- the FTS5 index joins on a rowid, and only an INTEGER PRIMARY KEY rowid is stable across VACUUM.
CREATE TABLE memories (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT    NOT NULL,
    namespace  TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    tags       TEXT    NOT NULL,
    tag_terms  TEXT    NOT NULL,
    trace_id   TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant_id, namespace, key)
);

-- /link names no namespace: a link's source is found by tenant and key.
CREATE INDEX memories_tenant_key ON memories (tenant_id, key);

-- An external-content index, kept in step by triggers, over the searchable text (every string in the value), a
-- token naming the memory's tenant and namespace (scope) and a token per tag (tag_terms). With scope and tags in the
-- index, a search's filters and its count run inside FTS5 without visiting rows of other namespaces.
CREATE VIRTUAL TABLE memories_fts USING fts5 (
    content,
    scope,
    tag_terms,
    content = 'memories',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, content, scope, tag_terms) VALUES (new.id, new.content, new.scope, new.tag_terms);
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, scope, tag_terms) VALUES ('delete', old.id, old.content, old.scope, old.tag_terms);
END;

CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, scope, tag_terms ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, scope, tag_terms) VALUES ('delete', old.id, old.content, old.scope, old.tag_terms);
    INSERT INTO memories_fts (rowid, content, scope, tag_terms) VALUES (new.id, new.content, new.scope, new.tag_terms);
END;

-- Links between memories of one tenant.
CREATE TABLE memory_links (
    tenant_id TEXT NOT NULL,
    from_key  TEXT NOT NULL,
    to_key    TEXT NOT NULL,
    rel       TEXT NOT NULL,
    weight    REAL NOT NULL,
    PRIMARY KEY (tenant_id, from_key, to_key, rel)
) WITHOUT ROWID;
