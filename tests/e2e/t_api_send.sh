# shellcheck shell=bash
# POST /v1/send: what goes in comes out at the receiving MTA; bad input gets a 4xx problem.

# A message with subject, text, html, custom header, cc, bcc and a binary attachment
# arrives intact at the MX, with Message-ID <{id}@{HeloName}> and no Bcc header.
test_send_full_message_arrives_intact() {
    local d; d=$(test_tmp)
    "$PY" - "$d" <<'PY'
import base64, json, os, sys
d = sys.argv[1]
blob = bytes(range(256)) * 12 + os.urandom(1000)          # every byte value, not valid UTF-8
req = {
    "from": {"email": "sender@app.test", "name": "Ünïcode Sender"},
    "to": ["alice@ok.test"],
    "cc": ["carol@ok.test"],
    "bcc": ["bob@ok.test"],
    "replyTo": "replies@app.test",
    "subject": "Grüße aus e2e ✓ — full message",
    "text": "Hello Alice,\n\nthis is the plain part: äöü €.\nA line with a dot:\n.\nA 1500-character line:\n" + "x" * 1499 + "!\nend\n",
    "html": "<html><body><p>Hello <b>Alice</b>, this is the <i>html</i> part: äöü €.</p></body></html>",
    "headers": {"X-E2E-Test": "full-message"},
    "attachments": [{"filename": "report.bin", "content": base64.b64encode(blob).decode(),
                     "contentType": "application/octet-stream"}],
    "tags": ["e2e"],
    "metadata": {"case": "a"},
}
json.dump(req, open(f"{d}/req.json", "w"), ensure_ascii=False)
exp = dict(req, from_address="sender@app.test", to_addresses=["alice@ok.test"],
           cc_addresses=["carol@ok.test"])
json.dump(exp, open(f"{d}/expected.json", "w"), ensure_ascii=False)
PY
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID
    note "accepted as $id"
    # The acknowledgement itself.
    local loc
    loc=$(tr -d '\r' <"$HTTP_HEADERS" | awk -F': ' 'tolower($1)=="location"{print $2}')
    [[ $loc == "/v1/messages/$id" || $loc == "$BASE_URL/v1/messages/$id" ]] \
        || { fail "Location header is '$loc', expected /v1/messages/$id"; return 1; }
    expect_eq "$(json "$HTTP_BODY" 'j.get("status")')" queued "202 body status" || return 1
    expect_eq "$(json "$HTTP_BODY" 'sorted(r["email"].lower() for r in j.get("recipients", []))')" \
        '["alice@ok.test", "bob@ok.test", "carol@ok.test"]' "202 body recipients" || return 1
    expect_eq "$(json "$HTTP_BODY" 'sorted(set(r["status"] for r in j.get("recipients", [])))')" \
        '["queued"]' "202 body recipient statuses" || return 1

    local r
    for r in alice@ok.test carol@ok.test bob@ok.test; do
        wait_recipient "$id" "$r" delivered || return 1
    done
    expect_eq "$(json "$LAST_VIEW" 'j.get("status")')" delivered "message roll-up status" || return 1
    expect_eq "$(json "$LAST_VIEW" 'j.get("source")')" api "message source" || return 1
    expect_eq "$(json "$LAST_VIEW" 'j.get("subject")')" "Grüße aus e2e ✓ — full message" "subject in status view" || return 1

    local mid files
    mid=$(message_id_for "$id")
    files=$(wait_sink "$SINKS/ok" "$mid" 10) || { fail "status says delivered but no message with Message-ID <$mid> reached the ok.test sink"; return 1; }
    "$PY" - "$d/expected.json" "$mid" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); e["message_id"] = sys.argv[2]; json.dump(e, open(sys.argv[1], "w"))
PY
    local f problems rcpts=""
    for f in $files; do
        problems=$("$PY" "$E2E_LIB_DIR/mailcheck.py" check "$f" "$d/expected.json") \
            || { fail "delivered copy $f differs from what was sent:"; echo "$problems" | sed 's/^/      /'; return 1; }
        rcpts+=" $(json "${f%.eml}.json" '" ".join(j["rcpt_tos"])')"
    done
    for r in alice@ok.test carol@ok.test bob@ok.test; do
        [[ " ${rcpts,,} " == *" $r "* ]] || { fail "$r not among the envelope recipients the MX saw:$rcpts"; return 1; }
    done
    note "delivered in $(echo "$files" | wc -w) SMTP transaction(s), envelope recipients:$rcpts"
}

# Invalid requests are answered with a 4xx application/problem+json, never a 5xx,
# and the service stays up.
test_send_bad_input_gets_4xx_problem() {
    local d; d=$(test_tmp)
    local ok=1 ct=(-H 'Content-Type: application/json')

    _bad() {   # _bad WHAT CODES... -- curl args...
        local what=$1; shift
        local codes=()
        while [[ $1 != -- ]]; do codes+=("$1"); shift; done
        shift
        "$@"
        if expect_problem "$what" "${codes[@]}"; then note "ok   $what -> $HTTP_CODE"; else ok=0; fi
    }

    printf '{"from":"sender@app.test","to":"x@nx.test","subject":"hi","text":"x"}' >"$d/good.json"
    _bad "no Authorization header" 401 -- http POST /v1/send "${ct[@]}" --data-binary "@$d/good.json"
    _bad "wrong API key" 401 -- http POST /v1/send "${ct[@]}" -H 'Authorization: Bearer ea_wrong_0000000000000000000000000000' --data-binary "@$d/good.json"
    _bad "malformed Authorization scheme" 401 -- http POST /v1/send "${ct[@]}" -H "Authorization: Basic $API_KEY" --data-binary "@$d/good.json"
    _bad "GET status without key" 401 -- http GET /v1/messages/00000000-0000-0000-0000-000000000000

    printf '{"from":' >"$d/trunc.json"
    _bad "truncated JSON" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/trunc.json"
    printf '{"from":"sender@app.test","to":["x@nx.test"],}' >"$d/comma.json"
    _bad "trailing comma" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/comma.json"
    _bad "empty body" 400 415 -- auth_http POST /v1/send "${ct[@]}" --data-binary ''
    printf '[]' >"$d/arr.json"
    _bad "JSON array instead of object" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/arr.json"
    printf 'null' >"$d/null.json"
    _bad "JSON null" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/null.json"
    printf '{"from":123,"to":true,"subject":["x"],"text":{}}' >"$d/types.json"
    _bad "wrong types everywhere" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/types.json"
    printf '{"from":"sender@app.test","to":"x@nx.test","subject":"hi","text":"x","attachments":"nope"}' >"$d/atype.json"
    _bad "attachments not an array" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/atype.json"
    printf '{"from":"sender@app.test","to":"x@nx.test","subject":"hi","text":"x","headers":["X-A: b"]}' >"$d/htype.json"
    _bad "headers not an object" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/htype.json"
    head -c 4096 /dev/urandom >"$d/junk.bin"
    _bad "binary junk as JSON" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/junk.bin"
    _bad "binary junk, octet-stream" 400 415 -- auth_http POST /v1/send -H 'Content-Type: application/octet-stream' --data-binary "@$d/junk.bin"
    _bad "form post" 400 415 -- auth_http POST /v1/send --data 'from=a@b.test&to=c@d.test'
    printf '\xff\xfe{\x00"\x00' >"$d/utf16.json"
    _bad "invalid UTF-8" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/utf16.json"
    "$PY" -c 'print("[" * 5000 + "]" * 5000)' >"$d/deep.json"
    _bad "nesting 5000 deep" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/deep.json"
    printf '{"from":"sender@app.test","to":"x@nx.test","subject":"hi","text":"x","metadata":%s}' \
        "$("$PY" -c 'print("{\"a\":" * 200 + "1" + "}" * 200)')" >"$d/deepmeta.json"
    _bad "metadata nested 200 deep" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/deepmeta.json"

    printf '{"to":"x@nx.test","subject":"hi","text":"x"}' >"$d/nofrom.json"
    _bad "missing from" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/nofrom.json"
    printf '{"from":"sender@app.test","subject":"hi","text":"x"}' >"$d/noto.json"
    _bad "missing to" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/noto.json"
    printf '{"from":"sender@app.test","to":[],"subject":"hi","text":"x"}' >"$d/emptyto.json"
    _bad "empty to" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/emptyto.json"
    printf '{"from":"sender@app.test","to":"not-an-address","subject":"hi","text":"x"}' >"$d/badaddr.json"
    _bad "to is not an address" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/badaddr.json"
    printf '{"from":"sender@app.test","to":"x@nx.test\\r\\nRCPT TO:<evil@ok.test>","subject":"hi","text":"x"}' >"$d/crlfaddr.json"
    _bad "CRLF inside an address" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/crlfaddr.json"
    printf '{"from":"not an address","to":"x@nx.test","subject":"hi","text":"x"}' >"$d/badfrom.json"
    _bad "from is not an address" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/badfrom.json"
    printf '{"from":"sender@app.test","to":"x@nx.test","subject":"hi","text":"x","attachments":[{"filename":"a.bin","content":"***not base64***"}]}' >"$d/b64.json"
    _bad "attachment content not base64" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/b64.json"
    printf '{"from":"sender@app.test","to":"x@nx.test","subject":"hi","text":"x","headers":{"Bad Name:":"v"}}' >"$d/hname.json"
    _bad "invalid header name" 400 -- auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/hname.json"

    _bad "status of a non-GUID id" 400 404 -- auth_http GET /v1/messages/not-a-guid
    _bad "status of an unknown id" 404 -- auth_http GET /v1/messages/00000000-0000-0000-0000-000000000000

    # Header injection through values: either refused (4xx) or neutralised; never a 5xx.
    printf '{"from":"sender@app.test","to":"x@nx.test","subject":"hi\\r\\nBcc: evil@ok.test","text":"x","headers":{"X-A":"b\\r\\nBcc: evil@ok.test"}}' >"$d/inject.json"
    auth_http POST /v1/send "${ct[@]}" --data-binary "@$d/inject.json"
    if [[ $HTTP_CODE == 5* || $HTTP_CODE == 000 ]]; then
        fail "CRLF in subject/header value: answered $HTTP_CODE; body: $(body_excerpt 300)"; ok=0
    else
        note "ok   CRLF in subject/header value -> $HTTP_CODE"
    fi

    curl -fsS -m 5 -o /dev/null "$BASE_URL/health/live" || { fail "service is not live after the bad requests"; ok=0; }
    ((ok == 1))
}
