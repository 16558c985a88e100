# shellcheck shell=bash
# One-click unsubscribe (RFC 8058) as a mailbox provider and a person use it: the delivered copy
# carries List-Unsubscribe and List-Unsubscribe-Post; the link's page (GET, curl as a link scanner)
# changes nothing; the provider's POST with List-Unsubscribe=One-Click suppresses the recipient, so
# the next message to them is 'suppressed'; a forged token answers 404. The links name
# https://mail.relay.test (Http:PublicBaseUrl); curl follows them to this service's own port.

test_unsubscribe_one_click_suppresses_get_does_not() {
    local d; d=$(test_tmp)
    local rcpt="unsub-$RANDOM@ok.test"
    printf '{"from":"news@app.test","to":"%s","subject":"News","text":"x","unsubscribe":true}' "$rcpt" >"$d/req.json"
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID files
    files=$(wait_sink "$SINKS/ok" "$(message_id_for "$id")") || { fail "message $id never reached the sink"; return 1; }
    local eml=${files%%$'\n'*}
    local path post
    path=$("$PY" - "$eml" <<'PY'
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
link = re.search(r"<https://mail\.relay\.test(/u/[a-z2-7]{52})>", " ".join((m.get("List-Unsubscribe") or "").split()))
print(link.group(1) if link else "")
PY
)
    post=$("$PY" -c 'import email,sys; print(email.message_from_binary_file(open(sys.argv[1],"rb")).get("List-Unsubscribe-Post",""))' "$eml")
    [[ -n $path ]] || { fail "no https List-Unsubscribe link in the delivered copy ($eml)"; return 1; }
    expect_eq "$post" "List-Unsubscribe=One-Click" "List-Unsubscribe-Post" || return 1

    http GET "$path"
    expect_eq "$HTTP_CODE" 200 "GET $path" || return 1
    grep -q "u\*\*\*@ok.test" "$HTTP_BODY" || { fail "the page does not show the masked address: $(body_excerpt)"; return 1; }
    printf '{"from":"news@app.test","to":"%s","subject":"Still","text":"x"}' "$rcpt" >"$d/still.json"
    send_ok "$d/still.json" || return 1
    wait_recipient "$SENT_ID" "$rcpt" delivered || return 1

    local forged="${path%??}aa"
    [[ $forged == "$path" ]] && forged="${path%??}bb"
    http POST "$forged" --data 'List-Unsubscribe=One-Click'
    expect_eq "$HTTP_CODE" 404 "POST with an altered token" || return 1
    http POST "$path" --data 'List-Unsubscribe=One-Click'
    expect_eq "$HTTP_CODE" 200 "POST $path" || return 1
    printf '{"from":"news@app.test","to":"%s","subject":"After","text":"x"}' "$rcpt" >"$d/after.json"
    send_ok "$d/after.json" || return 1
    wait_recipient "$SENT_ID" "$rcpt" suppressed || return 1
}
