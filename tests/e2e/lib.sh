# shellcheck shell=bash
# Helpers for e2e test functions (sourced by run.sh). A test is a bash function named
# test_*; it runs in its own bash process with these variables set by the harness:
#   BASE_URL  API_KEY  HELO_NAME  E2E_DIR  SINKS  SMTP_PORT  SMTP_TLS_PORT  PEERS_DIR
# A test fails when it returns non-zero; say why with `fail` first.

PY=${PEERS_SYS_PYTHON:-/usr/bin/python3}
E2E_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E_DELIVERY_TIMEOUT=${E2E_DELIVERY_TIMEOUT:-30}

fail() { printf 'FAIL: %s\n' "$*"; return 1; }
note() { printf '%s\n' "$*"; }

# tmpdir for the current test (unique per test function).
test_tmp() {
    local d="$E2E_DIR/tests/${E2E_CURRENT_TEST:-adhoc}"
    mkdir -p "$d"
    echo "$d"
}

# http METHOD PATH [curl args...]: one request against the service.
# Sets HTTP_CODE, HTTP_CTYPE, HTTP_BODY (file), HTTP_HEADERS (file). Never fails by itself.
_HTTP_SEQ=0
http() {
    local method=$1 path=$2; shift 2
    local d; d=$(test_tmp)
    _HTTP_SEQ=$((_HTTP_SEQ + 1))
    HTTP_BODY="$d/http-$_HTTP_SEQ.body"
    HTTP_HEADERS="$d/http-$_HTTP_SEQ.headers"
    local out
    out=$(curl -sS -m "${HTTP_TIMEOUT:-15}" -X "$method" -o "$HTTP_BODY" -D "$HTTP_HEADERS" \
        -w '%{http_code} %{content_type}' "$@" "$BASE_URL$path" 2>"$d/http-$_HTTP_SEQ.err")
    HTTP_CODE=${out%% *}
    HTTP_CTYPE=${out#* }
    [[ $HTTP_CTYPE == "$out" ]] && HTTP_CTYPE=""
    return 0
}

# auth_http METHOD PATH [curl args...]: like http, with the bootstrap API key.
auth_http() {
    local method=$1 path=$2; shift 2
    http "$method" "$path" -H "Authorization: Bearer $API_KEY" "$@"
}

# send_json FILE: POST /v1/send with the JSON in FILE. On 202 sets SENT_ID.
send_json() {
    SENT_ID=""
    auth_http POST /v1/send -H 'Content-Type: application/json' --data-binary "@$1"
    if [[ $HTTP_CODE == 202 ]]; then
        SENT_ID=$(json "$HTTP_BODY" 'j["id"]' 2>/dev/null)
    fi
}

# send_ok FILE: send_json and fail unless 202 with an id.
send_ok() {
    send_json "$1"
    if [[ $HTTP_CODE != 202 || -z $SENT_ID ]]; then
        fail "POST /v1/send answered $HTTP_CODE ($HTTP_CTYPE), expected 202 with an id; body: $(body_excerpt)"
        return 1
    fi
}

body_excerpt() { head -c "${1:-600}" "$HTTP_BODY" 2>/dev/null | tr '\n' ' '; }

# json FILE EXPR: evaluate a python expression over the parsed JSON `j`; print the result
# (strings as-is, other values as JSON). Exit status 1 when the file is not JSON.
json() {
    "$PY" - "$1" "$2" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1], encoding="utf-8"))
except Exception as e:
    print(f"<not JSON: {e}>"); sys.exit(1)
v = eval(sys.argv[2], {"j": j})
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# make_message OUT.json [python dict literal overrides]: write a send request.
# Default: from sender@app.test, subject "e2e", a short text body.
make_message() {
    local overrides=${2:-"{}"}
    "$PY" - "$1" "$overrides" <<'PY'
import json, sys
msg = {"from": "E2E Sender <sender@app.test>", "subject": "e2e", "text": "hello from the e2e suite\n"}
msg.update(eval(sys.argv[2]))
json.dump(msg, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
PY
}

# get_message ID: GET /v1/messages/ID into HTTP_BODY.
get_message() { auth_http GET "/v1/messages/$1"; }

# recipient_field FILE EMAIL FIELD: one field of one recipient in a message view.
recipient_field() {
    json "$1" "next((r.get('$3') for r in j.get('recipients', []) if r.get('email','').lower() == '${2,,}'), '<no such recipient>')"
}

# wait_recipient ID EMAIL "STATUS..." [TIMEOUT]: poll GET /v1/messages/ID until EMAIL's
# status is one of STATUS...; the last view is left in LAST_VIEW. Fails early when the
# recipient reaches another final status (delivered/bounced/failed/suppressed).
wait_recipient() {
    local id=$1 email=$2 want=" $3 " timeout=${4:-$E2E_DELIVERY_TIMEOUT}
    local deadline=$((SECONDS + timeout)) status="" d
    d=$(test_tmp)
    LAST_VIEW="$d/view-$id.json"
    while :; do
        get_message "$id"
        if [[ $HTTP_CODE == 200 ]]; then
            cp "$HTTP_BODY" "$LAST_VIEW"
            status=$(recipient_field "$LAST_VIEW" "$email" status)
            [[ $want == *" $status "* ]] && return 0
            if [[ " delivered bounced failed suppressed " == *" $status "* ]]; then
                fail "recipient $email of $id reached final status '$status', expected one of:$want; view: $(describe_view "$LAST_VIEW")"
                return 1
            fi
        else
            status="<GET answered $HTTP_CODE: $(body_excerpt 200)>"
        fi
        if ((SECONDS >= deadline)); then
            fail "after ${timeout}s recipient $email of $id is '$status', expected one of:$want; view: $(describe_view "$LAST_VIEW")"
            return 1
        fi
        sleep 0.1
    done
}

# describe_view FILE: compact one-line summary of a message view for failure messages.
describe_view() {
    [[ -f $1 ]] || { echo "<none>"; return; }
    "$PY" - "$1" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"<not JSON: {e}>"); sys.exit()
rs = "; ".join(f"{r.get('email')}={r.get('status')} attempts={r.get('attempts')} last={str(r.get('lastResponse'))[:120]!r} next={r.get('nextAttemptAt')}" for r in j.get("recipients", []))
ev = ", ".join(f"{e.get('type')}:{e.get('recipient')}" for e in j.get("events", [])[-8:])
print(f"status={j.get('status')} [{rs}] events=[{ev}]")
PY
}

# sink_find DIR MESSAGE_ID: print the .eml files in sink DIR whose Message-ID is <MESSAGE_ID>.
sink_find() { "$PY" "$E2E_LIB_DIR/mailcheck.py" find "$1" "$2"; }

# wait_sink DIR MESSAGE_ID [TIMEOUT]: wait until a copy with that Message-ID is in DIR;
# prints the file names.
wait_sink() {
    local dir=$1 mid=$2 timeout=${3:-$E2E_DELIVERY_TIMEOUT} deadline files
    deadline=$((SECONDS + timeout))
    while :; do
        files=$(sink_find "$dir" "$mid")
        [[ -n $files ]] && { echo "$files"; return 0; }
        ((SECONDS >= deadline)) && return 1
        sleep 0.1
    done
}

# sink_growth SECONDS DIR...: wait until the number of saved copies (*.eml) under DIR... changes,
# polling every 0.1 s, for at most SECONDS (a whole number); for loops whose own check is too
# costly to run ten times a second: they run it again as soon as a copy arrives.
sink_growth() {
    local until=$((SECONDS + $1)) before n; shift
    before=$(find "$@" -name '*.eml' 2>/dev/null | wc -l)
    while ((SECONDS < until)); do
        n=$(find "$@" -name '*.eml' 2>/dev/null | wc -l)
        ((n != before)) && return 0
        sleep 0.1
    done
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    [[ $1 == "$2" ]] || { fail "$3: got '$1', expected '$2'"; return 1; }
}

# expect_problem WHAT CODE...: the last response is a 4xx problem (RFC 9457) with one of CODEs
# (default: any 4xx), content type application/problem+json, and never a 5xx.
expect_problem() {
    local what=$1; shift
    local codes=" $* "
    if [[ $HTTP_CODE == 5* || $HTTP_CODE == 000 ]]; then
        fail "$what: answered $HTTP_CODE, must never be 5xx/no answer; body: $(body_excerpt 300)"; return 1
    fi
    if [[ $HTTP_CODE != 4* ]]; then
        fail "$what: answered $HTTP_CODE, expected 4xx; body: $(body_excerpt 300)"; return 1
    fi
    if [[ $# -gt 0 && $codes != *" $HTTP_CODE "* ]]; then
        fail "$what: answered $HTTP_CODE, expected one of:$codes; body: $(body_excerpt 300)"; return 1
    fi
    if [[ ${HTTP_CTYPE%%;*} != application/problem+json ]]; then
        fail "$what: $HTTP_CODE with Content-Type '$HTTP_CTYPE', expected application/problem+json; body: $(body_excerpt 300)"; return 1
    fi
    local st
    st=$(json "$HTTP_BODY" 'j.get("status")') || { fail "$what: problem body is not JSON: $(body_excerpt 300)"; return 1; }
    if [[ $st != null && $st != "$HTTP_CODE" ]]; then
        fail "$what: problem 'status' is $st but HTTP status is $HTTP_CODE"; return 1
    fi
    return 0
}

# message_id_for ID: the Message-ID header value EmailApi gives message ID (without <>).
message_id_for() { echo "$1@$HELO_NAME"; }

# service_start: (re)start the service with the configuration in $E2E_DIR/service.env
# (same database and ports every time).
service_start() {
    local vars=()
    mapfile -t vars <"$E2E_DIR/service.env"
    start_emailapi main "${vars[@]}"
}

# service_pid / service_alive: the current service process.
service_pid() { cat "$PEERS_DIR/emailapi-main.pid" 2>/dev/null; }
service_alive() { local p; p=$(service_pid) && [[ -n $p ]] && pid_alive "$p"; }
