# shellcheck shell=bash
# Delivery outcomes against real DNS and real MTAs: 5xx bounces, 4xx defers, the
# RFC 5321 §5.1 A fallback, RFC 7505 null MX, NXDOMAIN, MX preference fallback, and
# per-recipient results within one SMTP transaction.

# A recipient whose MX answers 550 to RCPT ends bounced after one attempt.
test_delivery_5xx_bounces() {
    local d; d=$(test_tmp)
    make_message "$d/req.json" '{"to": "nobody@bounce.test", "subject": "should bounce"}'
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID
    wait_recipient "$id" nobody@bounce.test bounced || return 1
    local last attempts
    last=$(recipient_field "$LAST_VIEW" nobody@bounce.test lastResponse)
    attempts=$(recipient_field "$LAST_VIEW" nobody@bounce.test attempts)
    [[ $last == *550* ]] || { fail "lastResponse should carry the MX's 550 reply, got: $last"; return 1; }
    expect_eq "$attempts" 1 "attempts of a bounced recipient" || return 1
    expect_eq "$(json "$LAST_VIEW" 'j.get("status")')" bounced "message roll-up status" || return 1
    note "bounced: $last"
}

# A recipient whose MX answers 451 (to RCPT, or after DATA) is deferred, not lost.
test_delivery_4xx_defers() {
    local d; d=$(test_tmp)
    make_message "$d/req.json" '{"to": ["later@tempfail.test", "later@tempdata.test"], "subject": "should defer"}'
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID r
    for r in later@tempfail.test later@tempdata.test; do
        wait_recipient "$id" "$r" deferred || return 1
        local attempts last next
        attempts=$(recipient_field "$LAST_VIEW" "$r" attempts)
        last=$(recipient_field "$LAST_VIEW" "$r" lastResponse)
        next=$(recipient_field "$LAST_VIEW" "$r" nextAttemptAt)
        [[ $attempts =~ ^[0-9]+$ && $attempts -ge 1 ]] || { fail "$r: attempts is '$attempts', expected >= 1"; return 1; }
        [[ $last == *451* ]] || { fail "$r: lastResponse should carry the 451 reply, got: $last"; return 1; }
        [[ $next != null && $next != None && -n $next ]] || { fail "$r: deferred but nextAttemptAt is '$next'"; return 1; }
        note "$r deferred after $attempts attempt(s), next at $next: $last"
    done
    expect_eq "$(json "$LAST_VIEW" 'j.get("status")')" deferred "message roll-up status" || return 1
}

# No MX but an A record: delivered to the A host (RFC 5321 §5.1).
test_delivery_no_mx_falls_back_to_a_record() {
    local d; d=$(test_tmp)
    make_message "$d/req.json" '{"to": "someone@amx.test", "subject": "implicit mx"}'
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID
    wait_recipient "$id" someone@amx.test delivered || return 1
    wait_sink "$SINKS/amx" "$(message_id_for "$id")" 10 >/dev/null \
        || { fail "status delivered, but nothing with Message-ID <$(message_id_for "$id")> reached 127.0.0.6 (amx.test's A record)"; return 1; }
}

# Null MX (RFC 7505) and NXDOMAIN fail at once: status failed, one attempt, no retry.
test_delivery_null_mx_and_nxdomain_fail_without_retry() {
    local d; d=$(test_tmp)
    make_message "$d/req.json" '{"to": ["a@nullmx.test", "b@nx.test"], "subject": "undeliverable domains"}'
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID r
    for r in a@nullmx.test b@nx.test; do
        wait_recipient "$id" "$r" failed || return 1
    done
    # Give a wrongly scheduled retry the chance to show up.
    sleep "${E2E_NO_RETRY_WAIT:-5}"
    get_message "$id"; cp "$HTTP_BODY" "$d/after.json"
    local ok=1
    for r in a@nullmx.test b@nx.test; do
        local st attempts next
        st=$(recipient_field "$d/after.json" "$r" status)
        attempts=$(recipient_field "$d/after.json" "$r" attempts)
        next=$(recipient_field "$d/after.json" "$r" nextAttemptAt)
        [[ $st == failed ]] || { fail "$r: status changed from failed to '$st'"; ok=0; }
        [[ $attempts == 1 ]] || { fail "$r: attempts is '$attempts', expected 1 (no retry)"; ok=0; }
        [[ $next == null || $next == None || -z $next ]] || { fail "$r: failed but a next attempt is scheduled at $next"; ok=0; }
        note "$r: $st, attempts $attempts, last: $(recipient_field "$d/after.json" "$r" lastResponse)"
    done
    expect_eq "$(json "$d/after.json" 'j.get("status")')" failed "message roll-up status" || ok=0
    ((ok == 1))
}

# The preferred MX refuses connections; the next MX by preference gets the message.
test_delivery_falls_back_to_next_mx() {
    local d; d=$(test_tmp)
    make_message "$d/req.json" '{"to": "someone@fallback.test", "subject": "mx fallback"}'
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID
    wait_recipient "$id" someone@fallback.test delivered || return 1
    wait_sink "$SINKS/fallback" "$(message_id_for "$id")" 10 >/dev/null \
        || { fail "status delivered, but nothing reached mx2.fallback.test (127.0.0.8)"; return 1; }
}

# One transaction, three recipients at one MX: 250, 550 and 451 to RCPT give delivered,
# bounced and deferred for each recipient; only the accepted one gets the message.
test_delivery_per_recipient_results_in_one_transaction() {
    local d; d=$(test_tmp)
    make_message "$d/req.json" '{"to": ["good-1@ok.test", "bounce-1@ok.test", "defer-1@ok.test"], "subject": "mixed replies"}'
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID
    wait_recipient "$id" good-1@ok.test delivered || return 1
    wait_recipient "$id" bounce-1@ok.test bounced || return 1
    wait_recipient "$id" defer-1@ok.test deferred || return 1
    local files rcpts
    files=$(wait_sink "$SINKS/ok" "$(message_id_for "$id")" 10) || { fail "no copy reached the ok.test sink"; return 1; }
    rcpts=$(for f in $files; do json "${f%.eml}.json" '" ".join(j["rcpt_tos"])'; done | tr '\n' ' ')
    expect_eq "${rcpts% }" good-1@ok.test "envelope recipients of the delivered copy" || return 1
    note "roll-up status with delivered+bounced+deferred: $(json "$LAST_VIEW" 'j.get("status")')"
}
