-- Checkpoints were a WITHOUT ROWID table: each version's row was stored in the (tenant_id, run_id, version) key's
-- B-tree, where a row keeps at most about 1,000 bytes of a 4 KiB page and the rest goes to overflow pages. A 10-step
-- run's state averages about 1,000 bytes and reaches 1,800, so about half the checkpoints written also wrote an
-- overflow page, and each run's leaf held three or four rows and split often: about 2.5 of the 13.5 log pages of a
-- step's commit. As an ordinary table the rows go to the end of the table in commit order (one leaf shared by the
-- concurrent runs of a group commit, rows kept whole up to about 4,000 bytes), and only the key goes into the run's
-- leaf of its index. Reading a run's checkpoints goes by that index, then to the rows.
CREATE TABLE checkpoints_rebuilt (
    tenant_id      TEXT    NOT NULL,
    run_id         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    format_version INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, run_id, version)
);

INSERT INTO checkpoints_rebuilt (tenant_id, run_id, version, format_version, state, created_at)
SELECT tenant_id, run_id, version, format_version, state, created_at FROM checkpoints ORDER BY created_at, tenant_id, run_id, version;

DROP TABLE checkpoints;
ALTER TABLE checkpoints_rebuilt RENAME TO checkpoints;
