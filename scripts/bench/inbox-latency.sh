#!/usr/bin/env bash
# Latency to the inbox: a steady offered load (open loop: message n leaves the load generator at
# start + n/RATE whether or not the ones before were accepted) for DURATION seconds, to a fast
# receiver (lib/wan_sink.py, no delay) that timestamps each message when its 250 goes out. The
# figure is p50 / p99 / max from the relay's acceptance (the 202 or the 250 the load generator got)
# to the receiver's 250, over every message; clocks are the same machine's.
#
#   EmailApi: Roles=api,smtp,sender; the same load over HTTP (POST /v1/send, 20 keep-alive
#             connections) and then over SMTP (20 sessions, many messages each; the client's
#             network trusted), MX from dnsmasq. Warmed up first: rounds of BENCH_WARMUP messages each
#             way at the same rate until the JIT compiler is quiet (at most BENCH_WARMUP_ROUNDS).
#   Postfix:  its defaults, the same SMTP load (after as many warm-up messages), transport map to the receiver.
# Server CPU per message covers acceptance and delivery.
#
#   scripts/bench/inbox-latency.sh                 200 msg/s for 60 s
#   BENCH_QUICK=1 scripts/bench/inbox-latency.sh   100 msg/s for 3 s
#   BENCH_RATE / BENCH_DURATION / BENCH_SIZE / BENCH_WARMUP / BENCH_SKIP_POSTFIX
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $BENCH_QUICK == 1 ]]; then
    rate=${BENCH_RATE:-100}; duration=${BENCH_DURATION:-3}; warm=${BENCH_WARMUP:-100}; warm_max=${BENCH_WARMUP_ROUNDS:-1}
else
    rate=${BENCH_RATE:-200}; duration=${BENCH_DURATION:-60}; warm=${BENCH_WARMUP:-2000}; warm_max=${BENCH_WARMUP_ROUNDS:-4}
fi
size=${BENCH_SIZE:-2048}
n=$(awk -v r="$rate" -v d="$duration" 'BEGIN { printf "%d", r * d }')

bench_init inbox-latency
bench_load "before"
start_wan_peers 1 0 0 ok

# run_load KEY MODE TARGET COUNT RATE PID: one load through one door; waits until the receiver has
# them all. Sets LAT (latency.py's line), CPU_MS, BEHIND.
run_load() {
    local key=$1 mode=$2 target=$3 count=$4 rate=$5 pid=$6 c0 c1 out args=()
    [[ $mode == http ]] && args=(--key "$BENCH_API_KEY")
    [[ $rate != 0 ]] && args+=(--rate "$rate")
    c0=$(tree_cpu_s "$pid")
    out=$("$PEERS_SYS_PYTHON" "$here/lib/load.py" "$mode" "$target" "$count" "${args[@]}" --domain d0.wan.test \
        --prefix "$key" --sessions 20 --size "$size" --log "$PEERS_DIR/sent-$key.log" 2>"$PEERS_DIR/logs/load-$key.err") \
        || bench_die "$key: the relay refused messages: $out $(tail -n 3 "$PEERS_DIR/logs/load-$key.err")"
    BEHIND=$(sed -nE 's/.*behind_max=([0-9.]+).*/\1/p' <<<"$out")
    wait_wan "$key" "$count" 120 || bench_die "$key: $WAN_COUNT of $count at the receiver after 120 s"
    c1=$(tree_cpu_s "$pid")
    CPU_MS=$(cpu_ms_per "$c0" "$c1" "$count")
    LAT=$("$PEERS_SYS_PYTHON" "$here/lib/latency.py" "$PEERS_DIR/sent-$key.log" "$WAN_LOG")
}
field() { sed -nE "s/.*$1=([0-9.n\/a]+).*/\1/p" <<<"$2"; }

# --- EmailApi ---------------------------------------------------------------------------
smtp_port=$(free_port)
start_bench_emailapi relay "$PEERS_DIR/latency.db" api,smtp,sender \
    "Smtp__Address=127.0.0.1" "Smtp__Port=$smtp_port" "Smtp__ImplicitTlsPort=-1" \
    "Smtp__TrustedNetworks__0=127.0.0.0/8" "Smtp__TrustedAccount=default" \
    "Delivery__DnsServers__0=127.0.0.1:$BENCH_DNS_PORT" "Delivery__Port=$WAN_PORT" "Delivery__HeloName=bench-relay.test"
e_pid=$EMAILAPI_PID
wait_tcp 127.0.0.1 "$smtp_port" 20 "$e_pid" || bench_die "EmailApi SMTP port $smtp_port not listening"
# Warm-up at the measured rate, both doors, until the JIT compiler has gone quiet (lib/warmup.sh):
# a first paced run measured seconds of latency that a warmed service does not have.
warm_round=0
warm_both() {
    warm_round=$((warm_round + 1))
    run_load "wh$warm_round" http "$BENCH_URL" "$warm" "$rate" "$e_pid"
    run_load "ws$warm_round" smtp "127.0.0.1:$smtp_port" "$warm" "$rate" "$e_pid"
}
bench_log "warm-up: rounds of $warm messages over HTTP and $warm over SMTP at $rate msg/s"
warm_until_settled "$BENCH_NAME: EmailApi" "$BENCH_URL" "$warm_max" warm_both || bench_die "EmailApi refused the warm-up"

bench_log "EmailApi: $n messages over HTTP at $rate msg/s"
run_load h http "$BENCH_URL" "$n" "$rate" "$e_pid"
h_lat=$LAT; h_ms=$CPU_MS; h_behind=$BEHIND
bench_log "  HTTP: $h_lat; CPU $h_ms ms/msg; load generator at most ${h_behind}s behind its schedule"
bench_log "EmailApi: $n messages over SMTP at $rate msg/s"
run_load s smtp "127.0.0.1:$smtp_port" "$n" "$rate" "$e_pid"
s_lat=$LAT; s_ms=$CPU_MS; s_behind=$BEHIND
bench_log "  SMTP: $s_lat; CPU $s_ms ms/msg; load generator at most ${s_behind}s behind its schedule"
e_rss=$(peak_rss_kb "$e_pid")
stop_emailapi relay

# --- Postfix ----------------------------------------------------------------------------
p_lat=""; p_ms=""
if [[ ${BENCH_SKIP_POSTFIX:-0} != 1 ]]; then
    pf_port=$(free_port)
    postfix_wan lat 127.0.76.1 "$pf_port" || bench_die "postfix did not start"
    run_load wp smtp "127.0.76.1:$pf_port" "$((warm * WARM_ROUNDS))" "$rate" "$POSTFIX_PID"
    bench_log "Postfix: $n messages over SMTP at $rate msg/s"
    run_load p smtp "127.0.76.1:$pf_port" "$n" "$rate" "$POSTFIX_PID"
    p_lat=$LAT; p_ms=$CPU_MS
    bench_log "  Postfix SMTP: $p_lat; CPU $p_ms ms/msg; load generator at most ${BEHIND}s behind its schedule"
    stop_postfix lat
fi

hp99=$(field p99_ms "$h_lat"); sp99=$(field p99_ms "$s_lat"); pp99=$(field p99_ms "$p_lat")
printf '\n%-44s %12s %12s %12s\n' "latency to the inbox, $rate msg/s x ${duration}s" "EmailApi HTTP" "EmailApi SMTP" "Postfix SMTP"
printf '%-44s %12s %12s %12s\n' "server CPU ms per message (in + out)" "$h_ms" "$s_ms" "${p_ms:--}"
printf '%-44s %12s %12s %12s\n' "p50 ms, acceptance -> receiver's 250" "$(field p50_ms "$h_lat")" "$(field p50_ms "$s_lat")" "$(field p50_ms "$p_lat")"
printf '%-44s %12s %12s %12s\n' "p99 ms" "$hp99" "$sp99" "${pp99:--}"
printf '%-44s %12s %12s %12s\n' "max ms" "$(field max_ms "$h_lat")" "$(field max_ms "$s_lat")" "$(field max_ms "$p_lat")"
printf '%-44s %12s %12s %12s\n' "messages missing at the receiver" "$(field missing "$h_lat")" "$(field missing "$s_lat")" "$(field missing "$p_lat")"
printf '%-44s %12s\n' "peak RSS EmailApi (MB)" "$((e_rss / 1024))"
bench_load "after"
worst=$(awk -v a="$hp99" -v b="$sp99" 'BEGIN { print (a + 0 > b + 0) ? a : b }')
bench_result "inbox latency, server CPU ms/msg (HTTP / SMTP)" "$h_ms / $s_ms" "${p_ms:--}" "$(ratio "$s_ms" "$p_ms")" "-" "-"
bench_result "inbox latency p99 ms at $rate/s (HTTP / SMTP)" "$hp99 / $sp99" "${pp99:--}" "$(ratio "$worst" "$pp99")" "<= 50 ms, <= 0.1x" \
    "$(awk -v w="$worst" -v r="$(ratio "$worst" "$pp99")" 'BEGIN { print (w + 0 <= 50 && (r == "n/a" || r + 0 <= 0.1)) ? "met" : "MISSED" }')"
bench_result "inbox latency p50 ms (HTTP / SMTP)" "$(field p50_ms "$h_lat") / $(field p50_ms "$s_lat")" "$(field p50_ms "$p_lat")" "-" "-" "-"
bench_rss_result "inbox-latency.sh" "$e_rss"
exit 0
