# shellcheck shell=bash
# Adversarial suite: hostile receiving servers. Each of these MX hosts misbehaves in its own way
# (tests/e2e/badmx.py); the service must end every attempt with a recorded result (never a
# recipient left in "sending"), and mail to a healthy domain sent at the same time must not wait
# behind them.
#
# Own world, so short timeouts do not change the shared service: a dnsmasq on a free port and
# MX hosts on 127.0.5.x, all on one free port.
#   stallgreet.test  127.0.5.1  accepts, never sends the greeting
#   stalldata.test   127.0.5.2  never answers the end of DATA
#   drop.test        127.0.5.3  closes the connection after RCPT
#   garbage.test     127.0.5.4  answers every command with a line that is not an SMTP reply
#   auth530.test     127.0.5.5  530 5.7.0 to MAIL FROM (MailKit throws an authentication error)
#   healthy.test     127.0.5.6  sink "save"

test_adv_hostile_receivers_end_in_recorded_attempts_and_do_not_hold_up_healthy_mail() {
    local d; d=$(test_tmp)
    local dns_port mx_port http_port smtp_port
    dns_port=$(free_port); mx_port=$(free_port); http_port=$(free_port); smtp_port=$(free_port)
    while [[ $smtp_port == "$http_port" ]]; do smtp_port=$(free_port); done
    DNSMASQ_NAME=dnsmasq-adv-rcv start_dnsmasq "$dns_port" --local=/test/ \
        --mx-host=stallgreet.test,mx.stallgreet.test,10 --host-record=mx.stallgreet.test,127.0.5.1 \
        --mx-host=stalldata.test,mx.stalldata.test,10 --host-record=mx.stalldata.test,127.0.5.2 \
        --mx-host=drop.test,mx.drop.test,10 --host-record=mx.drop.test,127.0.5.3 \
        --mx-host=garbage.test,mx.garbage.test,10 --host-record=mx.garbage.test,127.0.5.4 \
        --mx-host=auth530.test,mx.auth530.test,10 --host-record=mx.auth530.test,127.0.5.5 \
        --mx-host=healthy.test,mx.healthy.test,10 --host-record=mx.healthy.test,127.0.5.6 \
        || { fail "dnsmasq did not start"; return 1; }
    local mode host pids=()
    for mode in stall-greeting:127.0.5.1 stall-data:127.0.5.2 drop-rcpt:127.0.5.3 garbage:127.0.5.4 530-mail:127.0.5.5; do
        host=${mode#*:}; mode=${mode%%:*}
        "$PY" "$E2E_LIB_DIR/badmx.py" --host "$host" --port "$mx_port" "$mode" >>"$PEERS_DIR/logs/badmx-$mode.log" 2>&1 &
        pids+=($!)
        _peers_register "$!" "badmx-$mode"
        wait_tcp "$host" "$mx_port" 15 "$!" || { fail "badmx $mode did not start on $host:$mx_port"; return 1; }
    done
    SINK_PORT=$mx_port start_sink adv-healthy 127.0.5.6 save "$d/healthy" || { fail "healthy sink did not start"; return 1; }
    pids+=("$SINK_PID")
    local url="http://127.0.0.1:$http_port"
    start_emailapi adv-rcv "Urls=$url" "Roles=api,smtp,sender" "Storage__Sqlite__Path=$d/q.db" \
        "Bootstrap__ApiKey=$API_KEY" "Delivery__DnsServers__0=127.0.0.1:$dns_port" "Delivery__Port=$mx_port" \
        "Delivery__HeloName=$HELO_NAME" "Delivery__ConnectTimeout=00:00:03" "Delivery__CommandTimeout=00:00:03" \
        "Delivery__RetryDelays__0=00:00:02" "Delivery__PollInterval=00:00:00.200" \
        "Smtp__Address=127.0.0.1" "Smtp__Port=$smtp_port" "Smtp__ImplicitTlsPort=-1" \
        || { fail "the adv-rcv instance of EmailApi did not start"; return 1; }
    BASE_URL=$url

    local dom ids=() id
    for dom in stallgreet stalldata drop garbage auth530; do
        make_message "$d/$dom.json" "{'to': ['r@$dom.test'], 'subject': 'hostile $dom'}"
        send_ok "$d/$dom.json" || return 1
        ids+=("$dom:$SENT_ID")
    done
    local start=$SECONDS
    make_message "$d/healthy.json" "{'to': ['r@healthy.test'], 'subject': 'healthy'}"
    send_ok "$d/healthy.json" || return 1
    local healthy=$SENT_ID
    wait_recipient "$healthy" r@healthy.test delivered 20 || { fail "mail to a healthy domain waited behind the hostile ones"; return 1; }
    note "healthy.test delivered $((SECONDS - start)) s after it was sent, beside five hostile destinations"

    # Every hostile recipient ends its first attempt with a recorded result: deferred (or, for a
    # 5xx such as 530, bounced), an attempt counted and the reply or error kept.
    local entry status attempts last
    for entry in "${ids[@]}"; do
        dom=${entry%%:*}; id=${entry#*:}
        wait_recipient "$id" "r@$dom.test" "deferred bounced" 45 || return 1
        status=$(recipient_field "$LAST_VIEW" "r@$dom.test" status)
        attempts=$(recipient_field "$LAST_VIEW" "r@$dom.test" attempts)
        last=$(recipient_field "$LAST_VIEW" "r@$dom.test" lastResponse)
        [[ $attempts =~ ^[0-9]+$ ]] && ((attempts >= 1)) || { fail "$dom.test: $status with attempts '$attempts'"; return 1; }
        [[ -n $last && $last != null && $last != "<no such recipient>" ]] || { fail "$dom.test: $status without a recorded reply or error"; return 1; }
        note "$dom.test: $status after $attempts attempt(s): ${last:0:110}"
    done
    # The greeting and end-of-data stalls must be temporary: nothing said no.
    for dom in stallgreet stalldata drop garbage; do
        for entry in "${ids[@]}"; do [[ ${entry%%:*} == "$dom" ]] && id=${entry#*:}; done
        get_message "$id"
        status=$(recipient_field "$HTTP_BODY" "r@$dom.test" status)
        expect_eq "$status" deferred "$dom.test status (a timeout or dropped connection is temporary)" || return 1
    done
    stop_emailapi adv-rcv
    local p; for p in "${pids[@]}"; do stop_pid "$p" 5; done
}
