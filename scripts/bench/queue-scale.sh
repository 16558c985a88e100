#!/usr/bin/env bash
# Does the queue slow down as it grows? Enqueue and lease throughput with a small and a large
# backlog already queued (10 k and 1 M recipients, all due), on the service's own SQLite schema
# with its default durability; the figure is the ratio large / small (target >= 0.8).
#
# Set-up, for each size on a fresh database: start the service once (it creates and migrates the
# schema and the default account), stop it, and fill the queue by direct inserts
# (lib/fill_queue.py: messages, recipients and their 'queued' events as the service stores them;
# bounded by BENCH_FILL_TIMEOUT). Then, in rounds ordered small, large, large, small, ... so that
# load drifting on a shared machine hits both sizes alike:
#   enqueue: Roles=api, wrk POSTs 1 KB messages to /v1/send for BENCH_DURATION seconds after a
#            2 s warm-up (scripts/bench/http-send.lua; only 202 counts); the mean of the rounds;
#   lease:   Roles=sender drains BENCH_LEASED recipients from the backlog into smtp-sink
#            (bench.test's MX via dnsmasq), timed from the first at the sink to the last. Each one
#            goes lease -> SMTP -> record, so this is the sender's throughput with that queue
#            behind it. (The backlog grows by what the enqueue runs added: "~10 k", "~1 M".)
#
#   scripts/bench/queue-scale.sh                  10,000 and 1,000,000; 2 rounds; 10 s; 4000 leased
#   BENCH_QUICK=1 scripts/bench/queue-scale.sh    500 and 5,000; 1 round; 2 s; 200 leased
#   BENCH_SMALL / BENCH_LARGE / BENCH_ROUNDS / BENCH_DURATION / BENCH_LEASED / BENCH_CONNECTIONS
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $BENCH_QUICK == 1 ]]; then
    small=${BENCH_SMALL:-500}; large=${BENCH_LARGE:-5000}; duration=${BENCH_DURATION:-2}; leased=${BENCH_LEASED:-200}; rounds=${BENCH_ROUNDS:-1}
else
    small=${BENCH_SMALL:-10000}; large=${BENCH_LARGE:-1000000}; duration=${BENCH_DURATION:-10}; leased=${BENCH_LEASED:-4000}; rounds=${BENCH_ROUNDS:-2}
fi
connections=${BENCH_CONNECTIONS:-64}
fill_timeout=${BENCH_FILL_TIMEOUT:-900}
((leased * rounds <= small)) || bench_die "BENCH_LEASED x BENCH_ROUNDS ($leased x $rounds) must not exceed BENCH_SMALL ($small)"
command -v wrk >/dev/null || bench_die "wrk not found (apt-get install wrk)"

bench_init queue-scale
bench_load "before"
sink_port=$(free_port)
start_smtp_sink q 127.0.74.2 "$sink_port" -c || bench_die "smtp-sink did not start"
start_bench_dns bench.test 127.0.74.2

declare -A fill rss enq_sum enq_runs p99_max lease_n lease_s lease_cpu enq_cpu enq_n
for size in "$small" "$large"; do rss[$size]=0; enq_sum[$size]=0; enq_runs[$size]=0; p99_max[$size]=0; lease_n[$size]=0; lease_s[$size]=0; lease_cpu[$size]=0; enq_cpu[$size]=0; enq_n[$size]=0; done

prepare() {   # prepare SIZE: a fresh database with SIZE due recipients
    local size=$1 db="$PEERS_DIR/q-$1.db" out
    rm -f "$db" "$db-wal" "$db-shm"
    start_bench_emailapi "init-$size" "$db" api
    stop_emailapi "init-$size"
    bench_log "filling a queue with $size due recipients"
    out=$(timeout -k 5 "$fill_timeout" "$PEERS_SYS_PYTHON" "$here/lib/fill_queue.py" "$db" "$size" bench.test) \
        || bench_die "filling $size recipients failed or took over ${fill_timeout}s (BENCH_FILL_TIMEOUT)"
    fill[$size]=$(sed -nE 's/.*seconds=([0-9.]+).*/\1/p' <<<"$out")
    bench_log "  $out"
}

note_rss() { local r; r=$(peak_rss_kb "$2"); [[ -n $r ]] && ((r > ${rss[$1]})) && rss[$1]=$r; return 0; }

enqueue() {   # enqueue SIZE ROUND: wrk against Roles=api on that database, after a 2 s warm-up (JIT, caches)
    local size=$1 round=$2 db="$PEERS_DIR/q-$1.db" out="$PEERS_DIR/logs/wrk-$1-$2"
    start_bench_emailapi "api-$size-$round" "$db" api
    BENCH_TARGET=send BENCH_API_KEY=$BENCH_API_KEY \
        wrk -t2 -c"$connections" -d2s --timeout 10s -s "$here/http-send.lua" "$BENCH_URL" >/dev/null 2>&1
    local c0; c0=$(tree_cpu_s "$EMAILAPI_PID")
    BENCH_TARGET=send BENCH_API_KEY=$BENCH_API_KEY \
        wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$here/http-send.lua" "$BENCH_URL" >"$out.out" 2>"$out.err"
    local result errors rps p99
    result=$(grep '^RESULT ' "$out.out")
    [[ -n $result ]] || bench_die "wrk failed: $(tail -n 5 "$out.out" "$out.err")"
    errors=$(sed -nE 's/.* errors=([0-9]+).*/\1/p' <<<"$result")
    ((errors == 0)) || bench_die "enqueue with $size queued: $errors non-202 answers: $result"
    enq_cpu[$size]=$(calc 'a + b - c' a="${enq_cpu[$size]}" b="$(tree_cpu_s "$EMAILAPI_PID")" c="$c0")
    enq_n[$size]=$((enq_n[$size] + $(sed -nE 's/.* ok=([0-9]+).*/\1/p' <<<"$result")))
    rps=$(sed -nE 's/.* rps=([0-9.]+).*/\1/p' <<<"$result"); p99=$(sed -nE 's/.* p99_ms=([0-9.]+).*/\1/p' <<<"$result")
    enq_sum[$size]=$(calc 'a + b' a="${enq_sum[$size]}" b="$rps"); enq_runs[$size]=$((enq_runs[$size] + 1))
    p99_max[$size]=$(awk -v a="${p99_max[$size]}" -v b="$p99" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
    note_rss "$size" "$EMAILAPI_PID"
    stop_emailapi "api-$size-$round"
    bench_log "  enqueue with ~$size queued (round $round): $rps msg/s, p99 $p99 ms; load $(cut -d' ' -f1 /proc/loadavg)"
}

lease() {   # lease SIZE ROUND: Roles=sender drains BENCH_LEASED from that backlog into smtp-sink
    local size=$1 round=$2 db="$PEERS_DIR/q-$1.db" base secs
    base=$(smtp_sink_count q)
    start_bench_emailapi "sender-$size-$round" "$db" sender \
        "Delivery__DnsServers__0=127.0.0.1:$BENCH_DNS_PORT" "Delivery__Port=$sink_port" "Delivery__HeloName=bench-relay.test"
    SINK_CPU_PID=$EMAILAPI_PID wait_sink_count q "$((base + leased))" 300 || bench_die "sender with $size queued: $((SINK_COUNT - base)) of $leased at the sink after 300 s"
    note_rss "$size" "$EMAILAPI_PID"
    stop_emailapi "sender-$size-$round"
    secs=$(CALC_FMT=%.3f calc 'b - a' a="$SINK_FIRST_AT" b="$SINK_DONE_AT")
    lease_cpu[$size]=$(calc 'a + b - c' a="${lease_cpu[$size]}" b="$SINK_DONE_CPU" c="$SINK_FIRST_CPU")
    lease_n[$size]=$((lease_n[$size] + leased)); lease_s[$size]=$(CALC_FMT=%.3f calc 'a + b' a="${lease_s[$size]}" b="$secs")
    bench_log "  lease -> deliver -> record with ~$size queued (round $round): $leased in ${secs}s = $(calc 'n / s' n="$leased" s="$secs") msg/s; load $(cut -d' ' -f1 /proc/loadavg)"
}

prepare "$small"
prepare "$large"
# Small, large, large, small, ...: load drifting over the run (a shared machine) hits both sizes alike.
for ((round = 1; round <= rounds; round++)); do
    if ((round % 2 == 1)); then order=("$small" "$large"); else order=("$large" "$small"); fi
    for size in "${order[@]}"; do enqueue "$size" "$round"; done
    for size in "${order[@]}"; do lease "$size" "$round"; done
done
rm -f "$PEERS_DIR"/q-*.db*
bench_load "after"

declare -A enq lease
for size in "$small" "$large"; do
    enq[$size]=$(calc 'a / n' a="${enq_sum[$size]}" n="${enq_runs[$size]}")
    lease[$size]=$(calc 'n / s' n="${lease_n[$size]}" s="${lease_s[$size]}")
done

er=$(ratio "${enq[$large]}" "${enq[$small]}")
lr=$(ratio "${lease[$large]}" "${lease[$small]}")
printf '\n%-36s %14s %14s %8s %8s\n' "queue scale (SQLite)" "$small queued" "$large queued" "ratio" "target"
printf '%-36s %14s %14s %8s %8s\n' "enqueue, HTTP 202/s" "${enq[$small]}" "${enq[$large]}" "$er" ">= 0.8"
printf '%-36s %14s %14s\n' "enqueue p99 ms (worst run)" "${p99_max[$small]}" "${p99_max[$large]}"
printf '%-36s %14s %14s %8s %8s\n' "lease->deliver->record, msg/s" "${lease[$small]}" "${lease[$large]}" "$lr" ">= 0.8"
printf '%-36s %14s %14s\n' "server CPU ms/msg, enqueue" "$(cpu_ms_per 0 "${enq_cpu[$small]}" "${enq_n[$small]}")" "$(cpu_ms_per 0 "${enq_cpu[$large]}" "${enq_n[$large]}")"
printf '%-36s %14s %14s\n' "server CPU ms/msg, lease->record" "$(cpu_ms_per 0 "${lease_cpu[$small]}" "${lease_n[$small]}")" "$(cpu_ms_per 0 "${lease_cpu[$large]}" "${lease_n[$large]}")"
printf '%-36s %14s %14s\n' "fill time s (direct SQL)" "${fill[$small]}" "${fill[$large]}"
printf '%-36s %14s %14s\n' "peak RSS MB" "$((${rss[$small]} / 1024))" "$((${rss[$large]} / 1024))"
bench_result "queue enqueue msg/s, $large vs $small queued" "${enq[$large]} vs ${enq[$small]}" "-" "$er" ">= 0.8" "$(verdict "$er" '>=' 0.8)"
bench_result "queue lease, server CPU ms/msg, $large vs $small queued" "$(cpu_ms_per 0 "${lease_cpu[$large]}" "${lease_n[$large]}") vs $(cpu_ms_per 0 "${lease_cpu[$small]}" "${lease_n[$small]}")" "-" "-" "-" "-"
bench_result "queue lease msg/s, $large vs $small queued" "${lease[$large]} vs ${lease[$small]}" "-" "$lr" ">= 0.8" "$(verdict "$lr" '>=' 0.8)"
exit 0
