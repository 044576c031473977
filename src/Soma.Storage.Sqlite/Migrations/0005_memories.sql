-- The memory service's store. (tenant_id, namespace, key) is the memory's identity; the integer id exists because
-- the FTS5 index refers to rows by rowid, and only an INTEGER PRIMARY KEY rowid is stable across VACUUM.
CREATE TABLE memories (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT    NOT NULL,
    namespace  TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    tags       TEXT    NOT NULL,
    trace_id   TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant_id, namespace, key)
);

-- /link names no namespace: a link's source is found by tenant and key.
CREATE INDEX memories_tenant_key ON memories (tenant_id, key);

-- The search index, written by the adapter (no triggers: the indexed text is derived in code). Every indexed word
-- is prefixed with a hash of its memory's tenant and namespace ("s<hash>_word"), and every tag is a token
-- "s<hash>_t<hash>": a search's words and tags then only ever meet its own namespace's memories, its document
-- frequencies are the namespace's own, and no doclist of other namespaces is read. Contentless: the text lives in
-- memories.content; contentless_delete lets an update replace a row by rowid. updated_at is kept beside the index
-- (contentless_unindexed) so a search scores its candidates without visiting the wide memories rows.
CREATE VIRTUAL TABLE memories_fts USING fts5 (
    terms,
    tag_terms,
    updated_at UNINDEXED,
    content = '',
    contentless_delete = 1,
    contentless_unindexed = 1,
    tokenize = "unicode61 remove_diacritics 2 tokenchars '_'"
);

-- Links between memories of one tenant.
CREATE TABLE memory_links (
    tenant_id TEXT NOT NULL,
    from_key  TEXT NOT NULL,
    to_key    TEXT NOT NULL,
    rel       TEXT NOT NULL,
    weight    REAL NOT NULL,
    PRIMARY KEY (tenant_id, from_key, to_key, rel)
) WITHOUT ROWID;
