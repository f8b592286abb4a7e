#!/usr/bin/env bash
# Try espada-aws without an AWS account: run this from the repository root.
#
#   bash tests/demo.sh
#
# It sets up a Python venv with moto (a fake AWS) and the MCP Python SDK, builds the
# server, starts moto on a free loopback port, and plays tests/e2e/demo.py: a short
# conversation in which an MCP client drives the aws_ec2 tool. moto is stopped on exit.
#
# Environment:
#   ESPADA_VENV       venv to use or create   (default ~/.cache/espada-aws/venv)
#   CARGO_TARGET_DIR  cargo build directory   (default ~/.cache/espada-aws/target)
#   PYTHON            interpreter for a new venv, 3.10 or newer (default python3)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${ESPADA_VENV:-$HOME/.cache/espada-aws/venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/espada-aws/target}"
PY="$VENV/bin/python"

# 1. Python: moto (fake AWS endpoint, with boto3) and the MCP client SDK.
if ! "$PY" -c "import moto, mcp" >/dev/null 2>&1; then
    echo "==> setting up the Python venv at $VENV" >&2
    "${PYTHON:-python3}" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
        echo "error: ${PYTHON:-python3} is older than 3.10 (the mcp SDK needs 3.10+); set PYTHON=..." >&2
        exit 1
    }
    "${PYTHON:-python3}" -m venv "$VENV"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -r tests/requirements.txt
fi

# 2. The server binary.
command -v cargo >/dev/null || { echo "error: cargo not found; install Rust from https://rustup.rs" >&2; exit 1; }
echo "==> cargo build (target dir $CARGO_TARGET_DIR)" >&2
cargo build
BIN="$CARGO_TARGET_DIR/debug/espada-aws"
[ -x "$BIN" ] || { echo "error: $BIN was not built" >&2; exit 1; }

# 3. moto on a free loopback port, stopped whatever happens.
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ENDPOINT="http://127.0.0.1:$PORT"
MOTO_LOG="$(mktemp "${TMPDIR:-/tmp}/espada-aws-moto.XXXXXX")"
MOTO_PID=""
cleanup() {
    if [ -n "$MOTO_PID" ]; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
    fi
    rm -f "$MOTO_LOG"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> starting moto at $ENDPOINT" >&2
"$PY" -m moto.server -H 127.0.0.1 -p "$PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!

for _ in $(seq 1 100); do
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
        echo "error: moto exited during startup:" >&2
        cat "$MOTO_LOG" >&2
        exit 1
    fi
    if "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1).close()' \
        "$ENDPOINT/moto-api/" >/dev/null 2>&1; then
        break
    fi
    sleep 0.2
done
"$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).close()' \
    "$ENDPOINT/moto-api/" >/dev/null 2>&1 || {
    echo "error: moto did not answer at $ENDPOINT/moto-api/ within 20 s:" >&2
    cat "$MOTO_LOG" >&2
    exit 1
}

# 4. The conversation, with a throw-away guardrails state file.
export ESPADA_STATE="$(mktemp -d "${TMPDIR:-/tmp}/espada-aws-demo.XXXXXX")/state.db"
"$PY" tests/e2e/demo.py --binary "$BIN" --endpoint "$ENDPOINT"
