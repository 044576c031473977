-- A memory write put an entry in three b-trees of memories besides its FTS rows: the table, the unique
-- (tenant_id, namespace, key) index and this one. Keys are spread over sessions, so each entry lands on a leaf page of
-- its own, and a 25-memory batch wrote about 100 pages to the log, 25 of them for this index. Its one reader, /link's
-- check that the source key exists in any namespace of the tenant, now walks the tenant's namespaces in the unique
-- index (one seek each; a tenant has few) and seeks the key in each.
DROP INDEX IF EXISTS memories_tenant_key;
