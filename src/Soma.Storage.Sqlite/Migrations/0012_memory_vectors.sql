-- Recall by meaning (decision 0011): a vector per memory and model, and the queue of memories waiting for one.

-- The memory's version: 1 when created, one more at each update. A vector records the version it was made from, so a
-- save can tell whether the memory changed while it was being embedded. A counter rather than updated_at: two writes
-- can carry the same time.
ALTER TABLE memories ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- One row per (memory, model). sequence is the rowid and AUTOINCREMENT: a replaced vector is deleted and inserted again,
-- and must get a number above every one given before (a plain rowid would reuse the largest after its row is deleted),
-- so a reader that remembers the last sequence it saw reads it again. The vector is float32 little-endian, dims floats.
CREATE TABLE memory_vectors (
    sequence  INTEGER PRIMARY KEY AUTOINCREMENT,
    memory_id INTEGER NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    model     TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    dims      INTEGER NOT NULL,
    vector    BLOB    NOT NULL,
    UNIQUE (memory_id, model)
);

-- Memories still without a current vector. Every memory write puts its memory here in the same transaction; a save
-- takes it off unless the memory was updated meanwhile. leased_until keeps a leased row from a second worker.
CREATE TABLE memory_embedding_queue (
    memory_id    INTEGER PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
    due_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    leased_until INTEGER
);

CREATE INDEX memory_embedding_queue_due ON memory_embedding_queue (due_at, memory_id);
