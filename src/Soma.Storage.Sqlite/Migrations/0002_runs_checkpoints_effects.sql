-- Workflow runs. state: 0 accepted, 1 running, 2 waiting, 3 succeeded, 4 failed, 5 cancelled.
CREATE TABLE runs (
    tenant_id          TEXT    NOT NULL,
    id                 TEXT    NOT NULL,
    workflow           TEXT    NOT NULL,
    workflow_version   INTEGER NOT NULL,
    state              INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    checkpoint_version INTEGER NOT NULL DEFAULT 0,
    input              TEXT    NOT NULL,
    output             TEXT,
    error              TEXT,
    waiting_for        TEXT,
    idempotency_key    TEXT,
    trace_parent       TEXT,
    lease_owner        TEXT,
    lease_expires_at   INTEGER,
    wake_at            INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    ended_at           INTEGER,
    PRIMARY KEY (tenant_id, id)
);

CREATE UNIQUE INDEX runs_idempotency ON runs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_newest ON runs (tenant_id, created_at DESC, id DESC);
CREATE INDEX runs_runnable ON runs (created_at, id) WHERE state IN (0, 1);

-- Every committed checkpoint version of every run.
CREATE TABLE checkpoints (
    tenant_id      TEXT    NOT NULL,
    run_id         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    format_version INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, run_id, version)
) WITHOUT ROWID;

-- Completed side effects by idempotency key.
CREATE TABLE effects (
    tenant_id    TEXT    NOT NULL,
    run_id       TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    result       TEXT    NOT NULL,
    completed_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, run_id, key)
) WITHOUT ROWID;
