-- Every listing of the audit log names an action (GET /v1/policy/decisions reads tool.call, by tool or not), so it reads
-- audit_log_by_action or audit_log_by_resource. audit_log_newest (tenant_id, time DESC, id DESC) was read by nothing,
-- yet every audited decision wrote an entry into it: one B-tree of the four an audit row went into. A listing without an
-- action still works; it reads the tenant's rows by key and sorts them.
DROP INDEX IF EXISTS audit_log_newest;
