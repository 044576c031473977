#!/usr/bin/env python3
"""A small MCP server for the tests, speaking JSON-RPC 2.0 over stdio by hand (one message a line).

Tools: echo (answers its text), fail (answers isError), slow (sends notifications/progress, then answers),
hang (never answers; a notifications/cancelled for it leaves /workspace/cancelled-<id>) and crash (the process
exits in the middle of the call). It runs inside the real sandbox, so it sees only /usr, /tmp and /workspace.
"""
import json
import os
import sys
import time

TOOLS = [
    {"name": "echo", "description": "Answers with the text it is given.",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
    {"name": "fail", "description": "Always reports an error.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "slow", "description": "Reports progress for each step, then answers.",
     "inputSchema": {"type": "object", "properties": {"steps": {"type": "integer", "minimum": 1}}}},
    {"name": "hang", "description": "Never answers.", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "crash", "description": "Exits the server in the middle of the call.",
     "inputSchema": {"type": "object", "properties": {}}},
]


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def answer(request_id, result):
    send({"jsonrpc": "2.0", "id": request_id, "result": result})


def text(request_id, value, is_error=False):
    answer(request_id, {"content": [{"type": "text", "text": value}], "isError": is_error})


def call(request_id, params):
    name = params.get("name")
    arguments = params.get("arguments") or {}
    token = (params.get("_meta") or {}).get("progressToken")
    if name == "echo":
        text(request_id, "echo: " + str(arguments.get("text", "")))
    elif name == "fail":
        text(request_id, "the fail tool always fails", is_error=True)
    elif name == "slow":
        steps = int(arguments.get("steps", 3))
        for step in range(1, steps + 1):
            if token is not None:
                send({"jsonrpc": "2.0", "method": "notifications/progress",
                      "params": {"progressToken": token, "progress": step, "total": steps, "message": "step %d of %d" % (step, steps)}})
            time.sleep(0.1)
        text(request_id, "slow done after %d steps" % steps)
    elif name == "hang":
        sys.stderr.write("hanging on request %s\n" % request_id)
        sys.stderr.flush()
    elif name == "crash":
        os._exit(3)
    else:
        send({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32602, "message": "unknown tool: %s" % name}})


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        message = json.loads(line)
        method = message.get("method")
        request_id = message.get("id")
        params = message.get("params") or {}
        if method == "initialize":
            answer(request_id, {
                "protocolVersion": params.get("protocolVersion", "2025-06-18"),
                "capabilities": {"tools": {"listChanged": False}},
                "serverInfo": {"name": "soma-test-server", "version": "1.0.0"},
            })
        elif method == "tools/list":
            answer(request_id, {"tools": TOOLS})
        elif method == "tools/call":
            call(request_id, params)
        elif method == "ping":
            answer(request_id, {})
        elif method == "notifications/cancelled":
            with open("/workspace/cancelled-%s" % params.get("requestId"), "w") as marker:
                marker.write(str(params.get("reason", "")))
        elif request_id is not None:
            send({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": "method not found: %s" % method}})


if __name__ == "__main__":
    main()
