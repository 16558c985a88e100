# shellcheck shell=bash
# Accounts and quotas end to end: an account with a monthly quota of 3 recipients sends over HTTP
# (curl) and SMTP (Python smtplib) mixed; exactly 3 messages are accepted and delivered, and the
# message over the quota gets the documented refusal on either door: HTTP 429 with a problem that
# names the limit (plus Retry-After and RateLimit-* headers), SMTP 451 4.7.1.

# _quota_account NAME QUOTA: create an account and a send+read key with the bootstrap (admin) key;
# sets QUOTA_ACCOUNT and QUOTA_KEY.
_quota_account() {
    local d; d=$(test_tmp)
    # senderDomains: the operator's override of Domains:RequireVerified (this test is about quotas, not domains).
    printf '{"name":"%s","monthlyQuota":%s,"senderDomains":["app.test"]}' "$1" "$2" >"$d/account.json"
    auth_http POST /v1/accounts -H 'Content-Type: application/json' --data-binary "@$d/account.json"
    [[ $HTTP_CODE == 201 ]] || { fail "POST /v1/accounts answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    QUOTA_ACCOUNT=$(json "$HTTP_BODY" 'j["id"]')
    auth_http POST "/v1/accounts/$QUOTA_ACCOUNT/keys" -H 'Content-Type: application/json' --data-binary '{"name":"e2e","scopes":["send","read"]}'
    [[ $HTTP_CODE == 201 ]] || { fail "POST /v1/accounts/$QUOTA_ACCOUNT/keys answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    QUOTA_KEY=$(json "$HTTP_BODY" 'j["key"]')
}

# _quota_http_send TO: POST /v1/send with the account's key; sets HTTP_* and SENT_ID on 202.
_quota_http_send() {
    local d; d=$(test_tmp)
    make_message "$d/msg-$1.json" "{'to': '$1', 'subject': 'quota $1'}"
    SENT_ID=""
    http POST /v1/send -H "Authorization: Bearer $QUOTA_KEY" -H 'Content-Type: application/json' --data-binary "@$d/msg-$1.json"
    [[ $HTTP_CODE == 202 ]] && SENT_ID=$(json "$HTTP_BODY" 'j["id"]')
    return 0
}

# _quota_smtp_send TO: one message over SMTP (AUTH PLAIN after STARTTLS); prints "CODE TEXT" of the DATA reply.
_quota_smtp_send() {
    "$PY" - "$SMTP_PORT" "$QUOTA_KEY" "$1" <<'PY'
import email.utils, smtplib, ssl, sys
port, key, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = (f"From: Quota <sender@app.test>\r\nTo: <{rcpt}>\r\nSubject: quota {rcpt}\r\n"
       f"Date: {email.utils.formatdate()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nover smtp\r\n").encode()
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("quota.e2e.test")
    s.starttls(context=ssl._create_unverified_context())
    s.ehlo("quota.e2e.test")
    s.login("apikey", key)
    s.mail("sender@app.test")
    code, msg = s.rcpt(rcpt)
    if code != 250:
        print(code, msg.decode()); sys.exit()
    code, msg = s.data(raw)
    print(code, msg.decode().replace("\n", " "))
PY
}

test_quota_three_accepted_and_delivered_fourth_refused_on_both_doors() {
    local u=$RANDOM$RANDOM
    _quota_account "e2e-quota-$u" 3 || return 1
    local ids=() reply

    _quota_http_send "q1-$u@ok.test"
    [[ $HTTP_CODE == 202 ]] || { fail "1st message over HTTP answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    ids+=("$SENT_ID")
    reply=$(_quota_smtp_send "q2-$u@ok.test")
    [[ $reply == "250 2.0.0"* ]] || { fail "2nd message over SMTP answered: $reply"; return 1; }
    ids+=("$(grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' <<<"$reply" | head -n 1)")
    _quota_http_send "q3-$u@ok.test"
    [[ $HTTP_CODE == 202 ]] || { fail "3rd message over HTTP answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    ids+=("$SENT_ID")

    # The fourth, over HTTP: 429 problem naming the monthly quota, with the usage and reset.
    _quota_http_send "q4-$u@ok.test"
    expect_problem "4th message over HTTP" 429 || return 1
    expect_eq "$(json "$HTTP_BODY" 'j.get("limit")')" monthly_quota "problem 'limit'" || return 1
    expect_eq "$(json "$HTTP_BODY" 'j.get("allowed")')" 3 "problem 'allowed'" || return 1
    expect_eq "$(json "$HTTP_BODY" 'j.get("used")')" 3 "problem 'used'" || return 1
    [[ $(json "$HTTP_BODY" 'j.get("resetsAt")') == *-01T00:00:00* ]] || { fail "resetsAt should be the first of next month: $(body_excerpt)"; return 1; }
    local headers; headers=$(tr -d '\r' <"$HTTP_HEADERS" | tr 'A-Z' 'a-z')
    [[ $headers == *"retry-after: "[0-9]* ]] || { fail "no Retry-After header on the 429: $headers"; return 1; }
    [[ $headers == *"ratelimit-limit: 3"* && $headers == *"ratelimit-remaining: 0"* && $headers == *"ratelimit-reset: "[0-9]* ]] \
        || { fail "RateLimit-* headers missing or wrong on the 429: $headers"; return 1; }

    # The fourth, over SMTP: 451 4.7.1 with the same reason.
    reply=$(_quota_smtp_send "q5-$u@ok.test")
    [[ $reply == "451 4.7.1 Monthly quota exceeded"* ]] || { fail "4th message over SMTP should get 451 4.7.1, got: $reply"; return 1; }

    # Exactly the three accepted ones are delivered.
    local id
    for id in "${ids[@]}"; do
        [[ -n $id ]] || { fail "an accepted message has no id (${ids[*]})"; return 1; }
    done
    # The status API answers only to the account's own key (another account's message is a 404).
    local API_KEY=$QUOTA_KEY
    wait_recipient "${ids[0]}" "q1-$u@ok.test" delivered || return 1
    wait_recipient "${ids[1]}" "q2-$u@ok.test" delivered || return 1
    wait_recipient "${ids[2]}" "q3-$u@ok.test" delivered || return 1
    http GET /v1/messages -H "Authorization: Bearer $QUOTA_KEY"
    expect_eq "$(json "$HTTP_BODY" 'len(j["items"])')" 3 "messages in the account's log" || return 1
    http GET /v1/account -H "Authorization: Bearer $QUOTA_KEY"
    expect_eq "$(json "$HTTP_BODY" 'j["usage"]["month"]["used"]')" 3 "usage shown by GET /v1/account" || return 1
    note "3 of 5 accepted and delivered (${ids[*]}); HTTP 429 and SMTP '$reply' for the rest"
}
