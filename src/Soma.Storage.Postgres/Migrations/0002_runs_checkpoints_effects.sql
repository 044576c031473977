-- Workflow runs. state: 0 accepted, 1 running, 2 waiting, 3 succeeded, 4 failed, 5 cancelled.
CREATE TABLE runs (
    tenant_id          text        NOT NULL,
    id                 uuid        NOT NULL,
    workflow           text        NOT NULL,
    workflow_version   integer     NOT NULL,
    state              smallint    NOT NULL,
    version            bigint      NOT NULL,
    checkpoint_version bigint      NOT NULL DEFAULT 0,
    input              text        NOT NULL,
    output             text,
    error              text,
    waiting_for        text,
    idempotency_key    text,
    trace_parent       text,
    lease_owner        text,
    lease_expires_at   timestamptz,
    wake_at            timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    ended_at           timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE UNIQUE INDEX runs_idempotency ON runs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_newest ON runs (tenant_id, created_at DESC, id DESC);
CREATE INDEX runs_runnable ON runs (created_at, id) WHERE state IN (0, 1);

CREATE TABLE checkpoints (
    tenant_id      text        NOT NULL,
    run_id         uuid        NOT NULL,
    version        bigint      NOT NULL,
    format_version integer     NOT NULL,
    state          text        NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, run_id, version)
);

CREATE TABLE effects (
    tenant_id    text        NOT NULL,
    run_id       uuid        NOT NULL,
    key          text        NOT NULL,
    result       text        NOT NULL,
    completed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, run_id, key)
);
