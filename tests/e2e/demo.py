#!/usr/bin/env python3
"""A conversation-like tour of the espada-aws MCP server, for newcomers.

    python tests/e2e/demo.py --binary PATH --endpoint URL

URL is a running moto server (fake AWS; no real account is touched). Over one MCP
stdio session (the real MCP Python SDK client) it plays what an AI assistant would
do for a user: each step prints the user's request in plain words, the tool call
the assistant makes, and the one-line summary of the result. The server's own logs
go to a file, not the terminal. Exits non-zero if any step fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
import urllib.request
from typing import Any

import anyio
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client

TOOL = "aws_ec2"


class StepFailed(Exception):
    pass


def say_user(text: str) -> None:
    print(f"\nUser: {text}", flush=True)


def say_note(text: str) -> None:
    print(textwrap.indent(text, "     "), flush=True)


async def call(session: ClientSession, args: dict[str, Any]) -> dict[str, Any]:
    """One tool call: prints it and its summary line, returns the result JSON."""
    print(f"  -> {TOOL} {json.dumps(args)}", flush=True)
    try:
        result = await session.call_tool(TOOL, args)
    except MCPError as e:
        raise StepFailed(f"protocol error {e.code}: {e.message}") from None
    text = "".join(getattr(b, "text", "") for b in result.content)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise StepFailed(f"the result is not JSON: {text[:300]!r}") from None
    if result.is_error:
        code = f" ({value['code']})" if value.get("code") else ""
        raise StepFailed(f"{value.get('error')}{code}: {value.get('message')}")
    print(f"  <- {value.get('summary', '(no summary)')}", flush=True)
    return value


async def confirmed(session: ClientSession, args: dict[str, Any]) -> dict[str, Any]:
    """A high-risk call: the plan comes back first, the user agrees, the call is repeated with
    its confirm_token."""
    plan = await call(session, args)
    if plan.get("status") != "confirmation_required":
        raise StepFailed(f"{args['action']} ran without asking for confirmation: {plan}")
    print("  (user confirms)", flush=True)
    return await call(session, {**args, "confirm_token": plan["confirm_token"]})


async def demo(binary: str, endpoint: str, errlog) -> None:
    params = StdioServerParameters(
        command=binary,
        args=["serve"],
        env={
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            **({"ESPADA_STATE": os.environ["ESPADA_STATE"]} if "ESPADA_STATE" in os.environ else {}),
        },
    )
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=60) as session:
            init = await session.initialize()
            tools = (await session.list_tools()).tools
            ec2 = next((t for t in tools if t.name == TOOL), None)
            if ec2 is None:
                raise StepFailed(f"the server offers no {TOOL} tool: {[t.name for t in tools]}")
            actions = ec2.input_schema.get("properties", {}).get("action", {}).get("enum", [])
            print(
                f"Connected to {init.server_info.name} {init.server_info.version} over stdio; "
                f"tool {TOOL} has {len(actions)} actions. (AWS here is moto at {endpoint}.)"
            )

            say_user("Which Amazon AMIs can I use?")
            amis = await call(session, {"action": "list_amis", "owners": ["amazon"], "max_results": 3})
            images = amis["data"]["images"]
            if not images:
                raise StepFailed("no Amazon AMIs were listed")
            for im in images:
                say_note(f"{im['image_id']}  {im.get('name') or ''}")
            ami = images[0]["image_id"]

            say_user("Create a key pair called demo.")
            key = await call(session, {"action": "create_key_pair", "key_name": "demo"})
            if not key["data"].get("private_key"):
                raise StepFailed("create_key_pair returned no private key")
            say_note("(a private key was returned; a real assistant hands it to you once - not shown here)")

            say_user("Launch two t3.micro web servers.")
            created = await confirmed(
                session,
                {
                    "action": "create_instances",
                    "image_id": ami,
                    "instance_type": "t3.micro",
                    "count": 2,
                    "key_name": "demo",
                    "tags": {"Role": "web", "Project": "demo", "Environment": "development"},
                },
            )
            ids = [i["instance_id"] for i in created["data"]["instances"]]
            if len(ids) != 2:
                raise StepFailed(f"expected 2 instances, got {ids}")

            say_user("Call them web-1 and web-2.")
            for n, iid in enumerate(ids, start=1):
                await confirmed(session, {"action": "add_tags", "resource_ids": [iid], "tags": {"Name": f"web-{n}"}})
            names = {f"web-{n}": iid for n, iid in enumerate(ids, start=1)}

            say_user("What's running?")
            listed = await call(session, {"action": "list_instances", "tags": {"Project": "demo"}})
            for i in listed["data"]["instances"]:
                say_note(f"{i['instance_id']}  {i.get('name') or '-':6}  {i['instance_type']}  {i['state']}")

            say_user("Stop web-1.")
            await confirmed(session, {"action": "stop_instances", "instance_ids": [names["web-1"]]})

            say_user("Check their status.")
            status = await call(session, {"action": "get_instance_status", "instance_ids": ids})
            for s in status["data"].get("statuses", []):
                say_note(
                    f"{s.get('instance_id')}  {s.get('state')}  instance checks: {s.get('instance_status')}, "
                    f"system checks: {s.get('system_status')}"
                )

            say_user("Terminate them.")
            terminate = {"action": "terminate_instances", "instance_ids": ids}
            plan = await call(session, terminate)
            if plan.get("status") != "confirmation_required":
                raise StepFailed(f"terminate_instances ran without asking for confirmation: {plan}")
            p = plan["plan"]
            say_note(
                f"status: {plan['status']}\n"
                f"plan: {p['tool']} {p['action']} on {', '.join(t['id'] for t in p['targets'])}\n"
                f"effect: {p['effect']}\n"
                f"token {plan['confirm_token']} (valid {plan['expires_in_seconds']} s)"
            )

            print("\n(user confirms)", flush=True)
            say_user("Yes, terminate them.")
            await call(session, {**terminate, "confirm_token": plan["confirm_token"]})

            say_user("What's left?")
            listed = await call(session, {"action": "list_instances", "tags": {"Project": "demo"}})
            for i in listed["data"]["instances"]:
                say_note(f"{i['instance_id']}  {i.get('name') or '-':6}  {i['state']}")


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (possibly nested) exception groups from the SDK's task groups."""
    subs = getattr(exc, "exceptions", None)
    if not subs:
        return [exc]
    return [leaf for sub in subs for leaf in leaves(sub)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="path to the espada-aws binary")
    ap.add_argument("--endpoint", required=True, help="URL of a running moto server")
    ap.add_argument("--no-reset", action="store_true", help="do not reset moto's state first")
    ap.add_argument("--server-log", help="write the server's stderr here (default: a temp file)")
    args = ap.parse_args()
    endpoint = args.endpoint.rstrip("/")

    if not args.no_reset:
        req = urllib.request.Request(endpoint + "/moto-api/reset", data=b"", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    if args.server_log:
        log = open(args.server_log, "w+")  # noqa: SIM115
    else:
        log = tempfile.NamedTemporaryFile("w+", prefix="espada-aws-demo-", suffix=".log", delete=False)  # noqa: SIM115
    failed = None
    with log:
        try:
            anyio.run(demo, os.path.abspath(args.binary), endpoint, log)
        except Exception as e:  # noqa: BLE001 - report, don't dump a task-group traceback
            failed = "; ".join(
                str(x) if isinstance(x, StepFailed) else f"{type(x).__name__}: {x}" for x in leaves(e)
            )
    if failed:
        print(f"\nDemo step failed: {failed}", file=sys.stderr)
        print(f"Server log: {log.name}", file=sys.stderr)
        return 1
    if not args.server_log:
        os.unlink(log.name)
    print("\nDemo finished: every step succeeded.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
