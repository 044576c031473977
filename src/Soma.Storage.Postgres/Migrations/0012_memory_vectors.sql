-- Recall by meaning (decision 0011): a vector per memory and model, and the queue of memories waiting for one.

-- An integer id per memory (the vectors and the queue refer to it, and a re-embedding walks by it); existing rows are
-- numbered by this statement.
ALTER TABLE memories ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE memories ADD CONSTRAINT memories_id_key UNIQUE (id);

-- The memory's version: 1 when created, one more at each update. A vector records the version it was made from, so a
-- save can tell whether the memory changed while it was being embedded. A counter rather than updated_at: two writes
-- can carry the same time.
ALTER TABLE memories ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- Save order of the vectors. A save draws from it only while holding a transaction-scoped advisory lock, so the
-- numbers become visible in order and a reader that remembers the last one it saw never misses a vector.
CREATE SEQUENCE memory_vectors_sequence;

-- One row per (memory, model); the vector is float32 little-endian, dims floats.
CREATE TABLE memory_vectors (
    memory_id bigint  NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    model     text    NOT NULL,
    version   bigint  NOT NULL,
    dims      integer NOT NULL,
    vector    bytea   NOT NULL,
    sequence  bigint  NOT NULL,
    PRIMARY KEY (memory_id, model)
);

CREATE UNIQUE INDEX memory_vectors_by_sequence ON memory_vectors (sequence);

-- Memories still without a current vector. Every memory write puts its memory here in the same transaction, with the
-- version it wrote; a save takes it off only when that version is the one it embedded, compared on this row so that a
-- save racing an update waits for the update's lock on it and then sees the new version. leased_until keeps a leased
-- row from a second worker.
CREATE TABLE memory_embedding_queue (
    memory_id    bigint      PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
    version      bigint      NOT NULL,
    due_at       timestamptz NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    leased_until timestamptz
);

CREATE INDEX memory_embedding_queue_due ON memory_embedding_queue (due_at, memory_id);
