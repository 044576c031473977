# Tests of tools.rego: they run at every load (a change whose tests fail is not loaded) and with `soma policy test conf/`.
package soma.tools_test

import rego.v1

import data.soma.tools

roles := {
	"version": 1,
	"default_roles": ["user"],
	"roles": {
		"user": {"tools": ["time.now", "session.*"], "rate_limit": {"calls_per_minute": 10}},
		"analyst": {"tools": ["math.evaluate"], "rate_limit": {"calls_per_minute": 50}},
		"admin": {"tools": ["*"]},
	},
	"tools": {
		"math.evaluate": {"arguments": {"expression": {"required": true, "max_length": 5, "pattern": "^[0-9+* ]+$"}}},
		"shell.exec": {"sandbox": true},
		"report.export": {"arguments": {"format": {"enum": ["csv", "json"]}}},
		"http.fetch": {"egress": {"hosts": ["example.com", "*.example.org", "api.example.net:8443"]}},
		"http.internal": {"egress": {"hosts": ["wiki.corp"], "allow_private": true}},
		"http.nowhere": {"egress": {}},
	},
}

call(name, arguments, caller_roles) := {
	"tenant": "acme", "subject": "u1", "roles": caller_roles,
	"tool": {"name": name, "arguments": arguments, "risk": "low", "sandbox": false},
	"session": "s1", "run": "r1", "step": "tools", "now": "2026-12-02T00:00:00Z",
}

decide(name, arguments, caller_roles) := d if {
	d := tools.decision with input as call(name, arguments, caller_roles) with data.soma.roles as roles
}

test_a_default_role_grants_its_tools if {
	d := decide("time.now", {}, [])
	d.allow
	d.reasons == ["granted by role \"user\""]
}

test_globs_match_across_dots if decide("session.search", {}, []).allow

test_a_tool_no_role_grants_is_denied_naming_the_roles if {
	d := decide("math.evaluate", {"expression": "1+1"}, [])
	not d.allow
	d.reasons == ["no role of the caller grants tool \"math.evaluate\" (roles: user)"]
}

test_a_token_role_adds_to_the_defaults if decide("math.evaluate", {"expression": "1+1"}, ["analyst"]).allow

test_argument_rules_hold_for_every_role if {
	d := decide("math.evaluate", {"expression": "123456"}, ["admin"])
	not d.allow
	d.reasons == ["argument \"expression\" is longer than 5 characters"]
}

test_a_required_argument_must_be_there if {
	d := decide("math.evaluate", {}, ["admin"])
	d.reasons == ["argument \"expression\" is required"]
}

test_a_pattern_must_match if {
	d := decide("math.evaluate", {"expression": "a"}, ["admin"])
	d.reasons == ["argument \"expression\" does not match ^[0-9+* ]+$"]
}

test_enum_arguments if {
	decide("report.export", {"format": "csv"}, ["admin"]).allow
	not decide("report.export", {"format": "pdf"}, ["admin"]).allow
}

test_a_sandboxed_tool_is_denied_outside_a_sandbox if {
	d := decide("shell.exec", {}, ["admin"])
	d.reasons == ["tool \"shell.exec\" may only run in a sandbox"]
}

test_the_most_generous_rate_limit_applies if {
	d := decide("time.now", {}, ["analyst"])
	d.rate_limit == {"calls_per_minute": 10}
	e := decide("math.evaluate", {"expression": "1"}, ["analyst"])
	e.rate_limit == {"calls_per_minute": 50}
}

test_a_role_without_a_limit_leaves_calls_unlimited if {
	d := decide("time.now", {}, ["admin"])
	d.allow
	not d.rate_limit
}

test_without_roles_data_everything_is_denied if {
	d := tools.decision with input as call("time.now", {}, ["admin"]) with data.soma.roles as {}
	not d.allow
}

test_an_allowed_tool_with_egress_rules_carries_them_as_an_obligation if {
	d := decide("http.fetch", {"url": "https://example.com/"}, ["admin"])
	d.allow
	d.egress == {"hosts": ["example.com", "*.example.org", "api.example.net:8443"], "allow_private": false}
}

test_allow_private_is_passed_on_only_when_granted if {
	d := decide("http.internal", {}, ["admin"])
	d.egress == {"hosts": ["wiki.corp"], "allow_private": true}
}

test_an_egress_rule_without_hosts_grants_no_host if {
	d := decide("http.nowhere", {}, ["admin"])
	d.allow
	d.egress == {"hosts": [], "allow_private": false}
}

test_a_tool_without_egress_rules_gets_no_egress if {
	d := decide("time.now", {}, ["admin"])
	d.allow
	not d.egress
}

test_a_denied_tool_carries_no_egress if {
	d := decide("http.fetch", {"url": "https://example.com/"}, [])
	not d.allow
	not d.egress
}

test_egress_and_a_rate_limit_travel_together if {
	limited := object.union(roles, {"roles": {"admin": {"tools": ["http.*"], "rate_limit": {"calls_per_minute": 7}}}})
	d := tools.decision with input as call("http.fetch", {}, ["admin"]) with data.soma.roles as limited
	d.allow
	d.rate_limit == {"calls_per_minute": 7}
	d.egress.hosts == ["example.com", "*.example.org", "api.example.net:8443"]
}
