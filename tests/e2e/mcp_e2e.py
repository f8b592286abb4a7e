#!/usr/bin/env python3
"""End-to-end test of the espada-aws MCP server against a running moto server.

    python tests/e2e/mcp_e2e.py --binary PATH --endpoint URL

The endpoint must be a moto server that is already running (this script does not
start one); it is reset at the start. The server binary is driven over stdio with
the real MCP Python SDK client (mcp 2.x: `stdio_client` + `ClientSession`), and
every state change a tool claims is checked in moto with boto3. The last part
speaks raw newline-delimited JSON-RPC to a second server process to see how it
copes with a malformed line.

Prints one line per check ("ok - ..." / "FAIL - ..."), notes as "# ..." lines,
and ends with "N passed, M failed". Exits 0 only when every check passed.
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from typing import Any

import anyio
import boto3
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client

TOOL = "aws_ec2"
SERVER_NAME = "espada-aws"
INVALID_PARAMS = -32602
REQUEST_TIMEOUT = 30.0  # seconds for any one MCP request
RAW_ANSWER_TIMEOUT = 10.0  # seconds the raw-pipe server gets to answer tools/list


# --------------------------------------------------------------------------------------
# Reporting


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, name: str) -> None:
        self.passed += 1
        print(f"ok - {name}", flush=True)

    def fail(self, name: str, why: str) -> None:
        self.failed += 1
        print(f"FAIL - {name}: {why}", flush=True)

    @staticmethod
    def note(text: str) -> None:
        for line in text.splitlines() or [""]:
            print(f"# {line}", flush=True)


def describe(exc: BaseException) -> str:
    """A one-line description of a failure; assertion messages are shown as written."""
    if isinstance(exc, AssertionError):
        return str(exc) or "assertion failed"
    if isinstance(exc, MCPError):
        return f"unexpected MCP error {exc.code}: {exc.message}"
    group = getattr(builtins, "BaseExceptionGroup", None)  # Python 3.11+
    if group is not None and isinstance(exc, group):
        return "; ".join(describe(e) for e in exc.exceptions)
    return f"unexpected {type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------------------
# Helpers


def server_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        # The guardrails state file; the Rust test passes a fresh one.
        **({"ESPADA_STATE": os.environ["ESPADA_STATE"]} if "ESPADA_STATE" in os.environ else {}),
    }


def reset_moto(endpoint: str) -> None:
    req = urllib.request.Request(endpoint.rstrip("/") + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200, f"moto reset answered HTTP {resp.status}"


def ec2_client(endpoint: str):
    # Keep a stray profile or real credentials in the caller's environment out of it.
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    return boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).client("ec2", endpoint_url=endpoint)


def moto_state(ec2, instance_id: str) -> str:
    """The instance's state as moto reports it (boto3, not the tool)."""
    resp = ec2.describe_instances(InstanceIds=[instance_id])
    states = [i["State"]["Name"] for r in resp["Reservations"] for i in r["Instances"]]
    assert len(states) == 1, f"boto3 describe_instances({instance_id}) found {len(states)} instances"
    return states[0]


async def wait_moto_state(ec2, instance_id: str, want: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        state = moto_state(ec2, instance_id)
        if state == want or time.monotonic() >= deadline:
            return state
        await anyio.sleep(0.2)


def moto_instance_ids(ec2) -> list[str]:
    resp = ec2.describe_instances()
    return [i["InstanceId"] for r in resp["Reservations"] for i in r["Instances"]]


def result_json(result, what: str) -> dict[str, Any]:
    """The JSON object carried by a tool result's single text block."""
    blocks = result.content
    assert len(blocks) == 1, f"{what}: expected 1 content block, got {len(blocks)}"
    block = blocks[0]
    assert block.type == "text", f"{what}: expected a text block, got {block.type!r}"
    try:
        value = json.loads(block.text)
    except json.JSONDecodeError as e:
        raise AssertionError(f"{what}: the text block is not JSON ({e}): {block.text[:300]!r}") from None
    assert isinstance(value, dict), f"{what}: the result JSON is not an object: {block.text[:300]!r}"
    return value


async def call_ok(session: ClientSession, args: dict[str, Any], what: str) -> dict[str, Any]:
    result = await session.call_tool(TOOL, args)
    value = result_json(result, what)
    assert not result.is_error, f"{what}: isError is true: {json.dumps(value)[:500]}"
    return value


async def call_confirmed(session: ClientSession, args: dict[str, Any], what: str) -> dict[str, Any]:
    """A high-risk call: it first answers confirmation_required with a token, then runs when
    repeated with that token."""
    plan = await call_ok(session, args, f"{what} (no token)")
    assert plan.get("status") == "confirmation_required", f"{what}: expected confirmation_required, got {plan}"
    return await call_ok(session, {**args, "confirm_token": plan["confirm_token"]}, what)


async def call_err(session: ClientSession, args: dict[str, Any], what: str) -> dict[str, Any]:
    result = await session.call_tool(TOOL, args)
    value = result_json(result, what)
    assert result.is_error, f"{what}: expected isError true, got a success: {json.dumps(value)[:500]}"
    assert isinstance(value.get("error"), str), f"{what}: error result has no 'error' kind: {value}"
    assert isinstance(value.get("message"), str), f"{what}: error result has no 'message': {value}"
    return value


async def still_serving(session: ClientSession, after: str) -> None:
    try:
        value = await call_ok(session, {"action": "list_instances"}, f"list_instances after {after}")
    except MCPError as e:
        raise AssertionError(
            f"list_instances after {after} failed with MCP error {e.code}: {e.message} "
            "(did the server die?)"
        ) from None
    assert "instances" in value.get("data", {}), f"list_instances after {after}: no data.instances: {value}"


# --------------------------------------------------------------------------------------
# (a)-(c): one SDK session


async def sdk_checks(rep: Report, binary: str, endpoint: str, ec2, errlog) -> None:
    params = StdioServerParameters(command=binary, args=["serve"], env=server_env(endpoint))
    state: dict[str, Any] = {}

    async def check(name: str, body) -> bool:
        try:
            with anyio.fail_after(REQUEST_TIMEOUT * 3):
                await body()
        except Exception as e:  # noqa: BLE001 - every failure becomes a FAIL line
            rep.fail(name, describe(e))
            return False
        rep.ok(name)
        return True

    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=REQUEST_TIMEOUT) as session:
            # ---- (a) handshake and tool listing
            async def initialize() -> None:
                init = await session.initialize()
                name = init.server_info.name
                assert name == SERVER_NAME, f"initialize: server name is {name!r}, expected {SERVER_NAME!r}"
                assert init.capabilities.tools is not None, "initialize: server does not advertise tools"
                state["initialized"] = True

            if not await check("initialize reports server name espada-aws", initialize):
                rep.note("initialize failed; skipping the remaining SDK checks")
                return

            async def list_tools() -> None:
                listed = await session.list_tools()
                names = [t.name for t in listed.tools]
                assert TOOL in names, f"tools/list: {TOOL} missing, got {names}"
                schema = next(t for t in listed.tools if t.name == TOOL).input_schema
                assert schema.get("type") == "object", f"inputSchema type is {schema.get('type')!r}, not 'object'"
                combinators = [k for k in ("oneOf", "anyOf", "allOf") if k in schema]
                assert not combinators, f"inputSchema has top-level {combinators} (clients reject these)"
                action = schema.get("properties", {}).get("action")
                assert isinstance(action, dict), f"inputSchema has no 'action' property: {list(schema.get('properties', {}))}"
                assert action.get("type") == "string", f"action type is {action.get('type')!r}, not 'string'"
                enum = action.get("enum")
                assert isinstance(enum, list) and enum, f"action has no enum: {action}"
                for a in ("list_instances", "create_instances", "stop_instances", "terminate_instances"):
                    assert a in enum, f"action enum lacks {a!r}: {enum}"
                assert "action" in schema.get("required", []), f"'action' not required: {schema.get('required')}"

            await check("tools/list has aws_ec2 with a flat object schema and an action enum", list_tools)

            # ---- (b) instance lifecycle, verified in moto
            async def create() -> None:
                before = set(moto_instance_ids(ec2))
                # An environment tag decides protection: a high-risk call, confirmed first.
                value = await call_confirmed(
                    session,
                    {"action": "create_instances", "image_id": state["ami"], "count": 1, "tags": {"Name": "e2e", "Environment": "development"}},
                    "create_instances",
                )
                assert isinstance(value.get("summary"), str) and value["summary"], f"no summary: {value}"
                created = [i["instance_id"] for i in value.get("data", {}).get("instances", [])]
                assert len(created) == 1, f"create_instances returned {len(created)} instances: {value}"
                iid = created[0]
                new = set(moto_instance_ids(ec2)) - before
                assert new == {iid}, f"boto3 sees new instances {sorted(new)}, the tool said {iid}"
                resp = ec2.describe_instances(InstanceIds=[iid])
                inst = resp["Reservations"][0]["Instances"][0]
                tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
                assert tags.get("Name") == "e2e", f"boto3 shows tags {tags}, expected Name=e2e"
                assert inst["ImageId"] == state["ami"], f"boto3 shows image {inst['ImageId']}, expected {state['ami']}"
                state["iid"] = iid

            amis = ec2.describe_images(Owners=["amazon"])["Images"]
            if amis:
                state["ami"] = sorted(a["ImageId"] for a in amis)[0]
            else:
                state["ami"] = "ami-03cf127a"
            created_ok = await check("create_instances (count 1, Name=e2e) -> boto3 shows the instance", create)

            def need_instance() -> str:
                assert created_ok and "iid" in state, "no instance (create_instances failed)"
                return state["iid"]

            async def listed() -> None:
                iid = need_instance()
                value = await call_ok(session, {"action": "list_instances"}, "list_instances")
                items = value.get("data", {}).get("instances", [])
                mine = [i for i in items if i.get("instance_id") == iid]
                assert mine, f"list_instances does not list {iid}: {[i.get('instance_id') for i in items]}"
                assert mine[0].get("name") == "e2e", f"list_instances shows name {mine[0].get('name')!r} for {iid}"

            await check("list_instances lists the new instance", listed)

            async def stop() -> None:
                iid = need_instance()
                await call_confirmed(session, {"action": "stop_instances", "instance_ids": [iid]}, "stop_instances")
                got = await wait_moto_state(ec2, iid, "stopped")
                assert got == "stopped", f"boto3 shows {iid} {got!r} after stop_instances, expected 'stopped'"

            await check("stop_instances -> boto3 shows the instance stopped", stop)

            async def terminate_plan() -> None:
                iid = need_instance()
                value = await call_ok(
                    session, {"action": "terminate_instances", "instance_ids": [iid]}, "terminate_instances (no token)"
                )
                assert value.get("status") == "confirmation_required", f"expected status confirmation_required, got {value}"
                token = value.get("confirm_token")
                assert isinstance(token, str) and token.startswith("ct-"), f"bad confirm_token: {token!r}"
                plan = value.get("plan")
                assert isinstance(plan, dict), f"no plan: {value}"
                assert plan.get("action") == "terminate_instances", f"plan action is {plan.get('action')!r}"
                assert iid in [t.get("id") for t in plan.get("targets", [])], f"plan targets {plan.get('targets')} lack {iid}"
                assert isinstance(value.get("expires_in_seconds"), int), f"no expires_in_seconds: {value}"
                await anyio.sleep(0.5)
                got = moto_state(ec2, iid)
                assert got not in ("shutting-down", "terminated"), (
                    f"boto3 shows {iid} {got!r} after an UNCONFIRMED terminate_instances"
                )
                state["token"] = token

            planned = await check(
                "terminate_instances without token -> confirmation_required, instance not terminated",
                terminate_plan,
            )

            async def terminate_confirmed() -> None:
                iid = need_instance()
                assert planned and "token" in state, "no confirm_token (the unconfirmed call failed)"
                await call_ok(
                    session,
                    {"action": "terminate_instances", "instance_ids": [iid], "confirm_token": state["token"]},
                    "terminate_instances (with token)",
                )
                got = await wait_moto_state(ec2, iid, "terminated")
                assert got == "terminated", f"boto3 shows {iid} {got!r} after a confirmed terminate, expected 'terminated'"

            confirmed = await check("terminate_instances with confirm_token -> boto3 shows terminated", terminate_confirmed)

            async def token_reuse() -> None:
                iid = need_instance()
                assert confirmed, "the confirmed terminate failed, so there is no spent token to reuse"
                value = await call_err(
                    session,
                    {"action": "terminate_instances", "instance_ids": [iid], "confirm_token": state["token"]},
                    "terminate_instances (token reused)",
                )
                assert value["error"] == "refused", f"expected error 'refused', got {value}"

            await check("reusing the confirm_token -> isError, error refused", token_reuse)

            # ---- (c) errors leave the server up
            async def unknown_tool() -> None:
                try:
                    result = await session.call_tool("aws_nope", {"action": "list_instances"})
                except MCPError as e:
                    assert e.code == INVALID_PARAMS, f"unknown tool: MCP error code {e.code}, expected {INVALID_PARAMS}"
                    assert "unknown tool 'aws_nope'" in e.message, f"unknown tool: message is {e.message!r}"
                    assert TOOL in e.message, f"unknown tool: message does not list {TOOL}: {e.message!r}"
                else:
                    raise AssertionError(
                        f"unknown tool: expected a JSON-RPC error (MCPError), got a tool result "
                        f"isError={result.is_error}: {result.content!r}"
                    )
                await still_serving(session, "an unknown tool")

            await check("unknown tool -> MCPError invalid params; server still answers", unknown_tool)

            async def unknown_action() -> None:
                value = await call_err(session, {"action": "fly_to_the_moon"}, "unknown action")
                assert value["error"] == "invalid_input", f"unknown action: expected invalid_input, got {value}"
                assert "unknown action" in value["message"], f"unknown action: message is {value['message']!r}"
                await still_serving(session, "an unknown action")

            await check("unknown action -> isError invalid_input; server still answers", unknown_action)

            async def ids_as_string() -> None:
                value = await call_err(
                    session, {"action": "stop_instances", "instance_ids": "i-123"}, "instance_ids as a string"
                )
                assert value["error"] == "invalid_input", f"instance_ids as a string: expected invalid_input, got {value}"
                await still_serving(session, "instance_ids given as a string")

            await check('"instance_ids": "i-123" -> isError invalid_input; server still answers', ids_as_string)

            async def count_as_string() -> None:
                before = set(moto_instance_ids(ec2))
                value = await call_err(
                    session,
                    {"action": "create_instances", "image_id": state["ami"], "count": "two"},
                    "count as a string",
                )
                assert value["error"] == "invalid_input", f'count "two": expected invalid_input, got {value}'
                after = set(moto_instance_ids(ec2))
                assert after == before, f'count "two": boto3 sees new instances {sorted(after - before)}'
                await still_serving(session, 'count given as "two"')

            await check('"count": "two" -> isError invalid_input, nothing launched; server still answers', count_as_string)


# --------------------------------------------------------------------------------------
# (d): malformed JSON over raw pipes


def raw_malformed_json(rep: Report, binary: str, endpoint: str, errlog) -> None:
    name_alive = "malformed JSON line: server stays alive and answers the next tools/list"
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(server_env(endpoint))
    try:
        proc = subprocess.Popen(
            [binary, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog, env=env
        )
    except OSError as e:
        rep.fail(name_alive, f"could not start {binary}: {e}")
        return

    lines: queue.Queue[bytes | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)  # EOF

    threading.Thread(target=pump, daemon=True).start()

    def send(text: str) -> None:
        assert proc.stdin is not None
        proc.stdin.write(text.encode() + b"\n")
        proc.stdin.flush()

    def receive(deadline: float) -> list[Any]:
        """Messages until the deadline or EOF; a non-JSON stdout line is kept as a str."""
        got: list[Any] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return got
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                return got
            if line is None:
                got.append(EOFError("stdout closed"))
                return got
            try:
                got.append(json.loads(line))
            except json.JSONDecodeError:
                got.append(line.decode(errors="replace").rstrip("\n"))

    def wait_for_id(want_id: int, timeout: float) -> tuple[Any | None, list[Any]]:
        deadline = time.monotonic() + timeout
        others: list[Any] = []
        while time.monotonic() < deadline:
            for msg in receive(min(deadline, time.monotonic() + 0.2)):
                if isinstance(msg, dict) and msg.get("id") == want_id and ("result" in msg or "error" in msg):
                    return msg, others
                others.append(msg)
                if isinstance(msg, EOFError):
                    return None, others
        return None, others

    phase = "sending initialize"
    try:
        try:
            send(json.dumps({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "mcp_e2e-raw", "version": "0"},
                },
            }))
            init, _ = wait_for_id(1, RAW_ANSWER_TIMEOUT)
            assert init is not None, "raw: no answer to initialize within 10 s"
            assert "result" in init, f"raw: initialize failed: {init}"
            phase = "sending notifications/initialized"
            send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))

            phase = "sending the malformed line '{not json'"
            send("{not json")
            # Whatever the server says about the malformed line arrives before it reads on.
            reply = receive(time.monotonic() + 1.0)
            alive_after_bad = proc.poll() is None

            phase = "sending tools/list after the malformed line '{not json'"
            send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
            answer, others = wait_for_id(2, RAW_ANSWER_TIMEOUT)
            reply += others
        except (BrokenPipeError, OSError) as e:
            try:
                code = proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            raise AssertionError(
                f"raw: {phase} failed ({e}): the server "
                + (f"had exited with status {code}" if code is not None else "closed its stdin but is still running")
            ) from None

        # Record what the server said about the malformed line.
        if not reply:
            rep.note("server reply to the malformed line '{not json': none (the line was ignored silently)")
        for msg in reply:
            if isinstance(msg, dict) and isinstance(msg.get("error"), dict):
                err = msg["error"]
                rep.note(
                    f"server reply to the malformed line: JSON-RPC error {err.get('code')} "
                    f"{err.get('message')!r} (id {msg.get('id')!r})"
                    + (" - the ideal parse error" if err.get("code") == -32700 else "")
                )
            else:
                rep.note(f"server output after the malformed line: {msg!r}")

        code = proc.poll()
        assert alive_after_bad, f"the server exited (status {code}) right after the malformed line"
        assert answer is not None, (
            f"no answer to tools/list (id 2) within {RAW_ANSWER_TIMEOUT:.0f} s after the malformed line; "
            f"server {'exited with status ' + str(code) if code is not None else 'still running but silent'}"
        )
        assert proc.poll() is None, f"the server exited (status {proc.poll()}) after answering tools/list"
        assert "result" in answer, f"tools/list after the malformed line returned an error: {answer}"
        names = [t.get("name") for t in answer["result"].get("tools", [])]
        assert TOOL in names, f"tools/list after the malformed line lacks {TOOL}: {names}"
        junk = [m for m in reply if not isinstance(m, dict)]
        assert not junk, f"the server wrote non-JSON-RPC output to stdout: {junk!r}"
        rep.ok(name_alive)
    except AssertionError as e:
        rep.fail(name_alive, str(e))
    except Exception as e:  # noqa: BLE001
        rep.fail(name_alive, describe(e))

    # Closing stdin should end the server cleanly.
    name_exit = "raw server exits cleanly when its stdin closes"
    try:
        if proc.poll() is not None:
            raise AssertionError(f"the server had already exited with status {proc.returncode}")
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError("the server did not exit within 10 s of stdin closing") from None
        assert code == 0, f"the server exited with status {code}"
        rep.ok(name_exit)
    except Exception as e:  # noqa: BLE001
        rep.fail(name_exit, describe(e))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="path to the espada-aws binary")
    ap.add_argument("--endpoint", required=True, help="URL of a running moto server, e.g. http://127.0.0.1:5000")
    ap.add_argument("--server-log", help="write the server's stderr here (default: a temp file, shown on failure)")
    args = ap.parse_args()
    endpoint = args.endpoint.rstrip("/")
    binary = os.path.abspath(args.binary)

    rep = Report()
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        rep.fail("binary is executable", f"{binary} is not an executable file")
        print(f"{rep.passed} passed, {rep.failed} failed")
        return 1

    try:
        reset_moto(endpoint)
        rep.ok(f"moto at {endpoint} reset")
    except Exception as e:  # noqa: BLE001
        rep.fail(f"moto at {endpoint} reset", describe(e))
        print(f"{rep.passed} passed, {rep.failed} failed")
        return 1
    ec2 = ec2_client(endpoint)

    if args.server_log:
        log = open(args.server_log, "w+")  # noqa: SIM115
    else:
        log = tempfile.NamedTemporaryFile("w+", prefix="espada-aws-e2e-", suffix=".log", delete=False)  # noqa: SIM115

    with log:
        try:
            anyio.run(sdk_checks, rep, binary, endpoint, ec2, log)
        except BaseException as e:  # noqa: BLE001 - a crashed session is a failure, not a traceback
            if isinstance(e, KeyboardInterrupt):
                raise
            rep.fail("MCP session ran to the end", describe(e))
            traceback.print_exc(file=sys.stdout)

        raw_malformed_json(rep, binary, endpoint, log)

        log.flush()
        if rep.failed:
            log.seek(0)
            tail = log.read().splitlines()[-30:]
            rep.note(f"last lines of the server's stderr ({log.name}):")
            for line in tail:
                rep.note("  " + line)

    if not args.server_log and not rep.failed:
        os.unlink(log.name)

    print(f"{rep.passed} passed, {rep.failed} failed")
    return 0 if rep.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
