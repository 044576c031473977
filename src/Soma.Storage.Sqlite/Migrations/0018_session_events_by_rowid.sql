-- A session's event log was a WITHOUT ROWID table: its rows (payloads of a few hundred bytes to kilobytes) were stored in
-- the primary key's B-tree, ordered by session. Each appended event went into its session's leaf, a leaf holds only a
-- few such rows, so it split often, and the B-tree's interior pages carry whole rows too. With 64 sessions receiving
-- messages, a group commit of about 15 messages wrote some 24 of its 100 log pages to this table. As an ordinary table
-- the rows go to the end of the table in commit order (one or two leaves per commit, shared by every session), and
-- only the (tenant_id, session_id, seq) key goes into the session's leaf of its index: 3,777–4,069 messages/s before,
-- 4,306–4,410 after (`ingest 10 32 sqlite-full`, three runs of each alternated). Reading a session's log goes by that
-- index, then to the rows.
CREATE TABLE session_events_rebuilt (
    tenant_id  TEXT    NOT NULL,
    session_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    id         TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, session_id, seq),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
);

INSERT INTO session_events_rebuilt (tenant_id, session_id, seq, id, type, payload, created_at)
SELECT tenant_id, session_id, seq, id, type, payload, created_at FROM session_events ORDER BY created_at, tenant_id, session_id, seq;

DROP TABLE session_events;
ALTER TABLE session_events_rebuilt RENAME TO session_events;
