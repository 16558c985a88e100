#!/usr/bin/env bash
# tests/deploy/run.sh: what docs/operations.md tells an operator to do, done.
#   1. scripts/publish.sh makes one self-contained executable (SQLite's native library inside) that
#      starts on its own, answers /health/live, and stores and accepts a message.
#   2. deploy/emailapi.service passes `systemd-analyze verify` without a single complaint (its
#      ExecStart pointed at that executable, since verify checks that the command exists).
# Ends with "N passed, N failed". Ports: free ones on 127.0.0.1 only.
set -uo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/emailapi-deploy.XXXXXX")
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

test_published_binary_starts_and_accepts_mail() {
    local bin port key=ea_deploy_test_key_0123456789abcdefghijklmnop code
    bin=$("$REPO_ROOT/scripts/publish.sh" "$WORK/dist" 2>"$WORK/publish.log") || { tail -20 "$WORK/publish.log"; return 1; }
    [[ -x $bin ]] || { echo "no executable at $bin"; return 1; }
    local files; files=$(cd "$WORK/dist" && ls | tr '\n' ' ')
    [[ $files == "EmailApi appsettings.json " ]] || { echo "published files: $files (want the executable and appsettings.json only)"; return 1; }
    port=$(free_port)
    mkdir -p "$WORK/run"
    # A folder of its own for the unpacked native library, as the systemd unit gives it.
    (cd "$WORK/run" && exec env -i PATH=/usr/bin:/bin HOME="$WORK/run" DOTNET_BUNDLE_EXTRACT_BASE_DIR="$WORK/run/cache" \
        Urls="http://127.0.0.1:$port" Roles=api Smtp__Port=-1 Smtp__ImplicitTlsPort=-1 Bootstrap__ApiKey=$key \
        Logging__Console__FormatterName=json "$bin" serve >"$WORK/run/out.log" 2>&1) &
    PID=$!
    for _ in $(seq 300); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$port/health/live") && [[ $code == 200 ]] && break
        kill -0 "$PID" 2>/dev/null || { echo "the executable exited:"; tail -20 "$WORK/run/out.log"; return 1; }
        sleep 0.1
    done
    [[ $code == 200 ]] || { echo "/health/live answered $code"; tail -20 "$WORK/run/out.log"; return 1; }
    code=$(curl -s -o "$WORK/send.json" -w '%{http_code}' -m 10 -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d '{"from":"s@example.com","to":["r@example.org"],"subject":"deploy","text":"hi"}' "http://127.0.0.1:$port/v1/send")
    [[ $code == 202 ]] || { echo "POST /v1/send answered $code: $(cat "$WORK/send.json")"; return 1; }
    [[ -s $WORK/run/data/emailapi.db ]] || { echo "no database at data/emailapi.db under the working directory"; return 1; }
    # JSON console logs: the accepted message is one JSON line with a timestamp.
    for _ in $(seq 50); do grep -q '"EventId":1001,' "$WORK/run/out.log" && break; sleep 0.1; done
    grep '"EventId":1001,' "$WORK/run/out.log" | head -1 | python3 -c '
import json, sys
line = json.loads(sys.stdin.readline())
import datetime
datetime.datetime.strptime(line["Timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
assert line["State"]["MessageId"] and line["State"]["Source"] == "api", line' \
        || { echo "no JSON line for the accepted message:"; tail -5 "$WORK/run/out.log"; return 1; }
    kill "$PID"; wait "$PID" 2>/dev/null; PID=
}

test_systemd_unit_verifies() {
    if ! command -v systemd-analyze >/dev/null; then
        echo "SKIP systemd-analyze is not installed (package systemd); the unit was not checked"
        return 0
    fi
    [[ -x $WORK/dist/EmailApi ]] || { echo "needs the published executable of the test before"; return 1; }
    mkdir -p "$WORK/unit"
    sed "s|^ExecStart=/opt/emailapi/EmailApi|ExecStart=$WORK/dist/EmailApi|" "$REPO_ROOT/deploy/emailapi.service" >"$WORK/unit/emailapi.service"
    local out; out=$(systemd-analyze verify "$WORK/unit/emailapi.service" 2>&1); local rc=$?
    [[ $rc == 0 && -z $out ]] || { echo "systemd-analyze verify (exit $rc): $out"; return 1; }
}

for t in test_published_binary_starts_and_accepts_mail test_systemd_unit_verifies; do
    if out=$($t 2>&1); then pass "$t"; [[ -n $out ]] && echo "$out"; else fail "$t" "$out"; fi
done
echo "$passed passed, $failed failed"
((failed == 0))
