-- Sent rows by when they were sent, for pruning after Soma:Outbox:RetentionHours without reading the whole table.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE status = 1;
