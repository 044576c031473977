# The tool decision (docs/policy.md): may this caller run this tool with these arguments?
# Query: data.soma.tools.decision -> {"allow": bool, "reasons": [string], "rate_limit"?: {"calls_per_minute": n},
#                                      "egress"?: {"hosts": [string], "allow_private": bool}}
# Deny by default: a tool runs only when a role of the caller grants it and every rule of conf/roles.yaml holds.
package soma.tools

import rego.v1

default roles_doc := {}

roles_doc := data.soma.roles

# The caller's roles: those in the token, and those every caller has.
caller_roles contains role if some role in input.roles

caller_roles contains role if some role in object.get(roles_doc, "default_roles", [])

# The caller's roles that grant this tool ("*" matches any run of characters, dots included).
granting contains role if {
	some role in caller_roles
	some pattern in roles_doc.roles[role].tools
	glob.match(pattern, null, input.tool.name)
}

tool_rules := object.get(object.get(roles_doc, "tools", {}), input.tool.name, {})

argument_rules := object.get(tool_rules, "arguments", {})

has_argument(name) if name in object.keys(input.tool.arguments)

violations contains sprintf("argument %q is required", [name]) if {
	some name, rule in argument_rules
	rule.required == true
	not has_argument(name)
}

violations contains sprintf("argument %q is longer than %d characters", [name, rule.max_length]) if {
	some name, rule in argument_rules
	value := input.tool.arguments[name]
	is_string(value)
	count(value) > rule.max_length
}

violations contains sprintf("argument %q does not match %s", [name, rule.pattern]) if {
	some name, rule in argument_rules
	value := input.tool.arguments[name]
	not regex.match(rule.pattern, sprintf("%v", [value]))
}

violations contains sprintf("argument %q must be one of %v", [name, rule.enum]) if {
	some name, rule in argument_rules
	value := input.tool.arguments[name]
	not value in rule.enum
}

violations contains sprintf("tool %q may only run in a sandbox", [input.tool.name]) if {
	tool_rules.sandbox == true
	not input.tool.sandbox
}

# A granting role without a rate limit leaves the call unlimited; otherwise the most generous limit applies.
unlimited if {
	some role in granting
	not roles_doc.roles[role].rate_limit
}

limits := [n | some role in granting; n := roles_doc.roles[role].rate_limit.calls_per_minute]

default rate_limit_obligation := {}

rate_limit_obligation := {"rate_limit": {"calls_per_minute": max(limits)}} if {
	not unlimited
	count(limits) > 0
}

# Where an allowed tool may connect (http.fetch; sandboxed tools' network): the tool's egress rule, handed to the tool
# as it is. A tool without one gets no egress obligation, and such a tool reaches nothing.
default egress_obligation := {}

egress_obligation := {"egress": {
	"hosts": object.get(tool_rules.egress, "hosts", []),
	"allow_private": object.get(tool_rules.egress, "allow_private", false),
}} if {
	is_object(tool_rules.egress)
}

obligations := object.union(rate_limit_obligation, egress_obligation)

default decision := {"allow": false, "reasons": ["policy.denied"]}

decision := {"allow": false, "reasons": [sprintf("no role of the caller grants tool %q (roles: %s)", [input.tool.name, concat(", ", sort(caller_roles))])]} if {
	count(granting) == 0
}

decision := {"allow": false, "reasons": sort(violations)} if {
	count(granting) > 0
	count(violations) > 0
}

decision := object.union({"allow": true, "reasons": [sprintf("granted by role %q", [min(granting)])]}, obligations) if {
	count(granting) > 0
	count(violations) == 0
}
