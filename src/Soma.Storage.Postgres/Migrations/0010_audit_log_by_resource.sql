-- The policy decisions listing (GET /v1/policy/decisions?tool=…) reads one tool's decisions newest first: with the
-- by-action index alone it read every tool call of the tenant and dropped the other tools'.
CREATE INDEX audit_log_by_resource ON audit_log (tenant_id, action, resource, time DESC, id DESC);
