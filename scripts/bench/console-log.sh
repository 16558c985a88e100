#!/usr/bin/env bash
# The web console's message log with a million messages in the database: how long does the page
# take? Target: p95 under 200 ms (issue 19).
#
# Set-up: start the service once on a fresh SQLite file (schema and default account), stop it,
# fill it with BENCH_MESSAGES messages by direct inserts into the real schema (lib/fill_queue.py),
# start it again (Roles=api), sign in to the console with the bootstrap key as a browser does
# (form token, then the session cookie), then time BENCH_REQUESTS page loads (curl's total time,
# one at a time, after a warm-up) spread over: the first page, a status filter, a recipient
# filter, a source filter, a time range, and ten pages down through the cursor. The overview and
# a message page are timed too (reported, no target).
#
#   scripts/bench/console-log.sh                   1,000,000 messages, 400 requests
#   BENCH_QUICK=1 scripts/bench/console-log.sh     5,000 messages, 60 requests
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $BENCH_QUICK == 1 ]]; then
    messages=${BENCH_MESSAGES:-5000}; requests=${BENCH_REQUESTS:-60}
else
    messages=${BENCH_MESSAGES:-1000000}; requests=${BENCH_REQUESTS:-400}
fi
fill_timeout=${BENCH_FILL_TIMEOUT:-900}
target_ms=200

bench_init console-log
bench_load "before"
db="$PEERS_DIR/console.db"
start_bench_emailapi init "$db" api
stop_emailapi init
bench_log "filling the database with $messages messages"
out=$(timeout -k 5 "$fill_timeout" "$PEERS_SYS_PYTHON" "$here/lib/fill_queue.py" "$db" "$messages" bench.test) \
    || bench_die "filling $messages messages failed or took over ${fill_timeout}s (BENCH_FILL_TIMEOUT)"
bench_log "  $out"
start_bench_emailapi console "$db" api

jar="$PEERS_DIR/cookies"
token=$(curl -fsS -c "$jar" -b "$jar" "$BENCH_URL/console/signin" | sed -nE 's/.*name="__csrf" type="hidden" value="([^"]+)".*/\1/p' | head -n 1)
[[ -n $token ]] || bench_die "no form token on the sign-in page"
code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" --data-urlencode "key=$BENCH_API_KEY" --data-urlencode "__csrf=$token" "$BENCH_URL/console/signin")
[[ $code == 302 ]] || bench_die "sign-in answered $code"

page() {   # page PATH: prints the total seconds; dies on anything but 200
    local t
    t=$(curl -sS -o "$PEERS_DIR/page.html" -w '%{http_code} %{time_total}' -b "$jar" "$BENCH_URL$1") || bench_die "GET $1 failed"
    [[ ${t%% *} == 200 ]] || bench_die "GET $1 answered ${t%% *}"
    echo "${t#* }"
}

# The paths: fixed filters, plus the cursor pages found by following "Older" from the first page.
paths=("/console/messages" "/console/messages?status=queued" "/console/messages?recipient=rcpt-$(printf '%08d' $((messages / 2)))@bench.test"
       "/console/messages?source=api" "/console/messages?since=2020-01-01T00:00&until=2100-01-01T00:00")
next="/console/messages"
for _ in $(seq 10); do
    page "$next" >/dev/null
    older=$(sed -nE 's/.*id="older" href="([^"]+)".*/\1/p' "$PEERS_DIR/page.html" | sed 's/&amp;/\&/g')
    [[ -n $older ]] || break
    paths+=("$older"); next=$older
done
rows=$(grep -c '<tr>' "$PEERS_DIR/page.html")
bench_log "${#paths[@]} distinct log pages (filters and cursor pages); a page shows $((rows - 0)) rows"

for p in "${paths[@]}"; do page "$p" >/dev/null; done   # warm-up
times="$PEERS_DIR/times"
: >"$times"
for ((i = 0; i < requests; i++)); do page "${paths[$((i % ${#paths[@]}))]}" >>"$times"; done
stats=$(sort -n "$times" | awk '{ a[NR] = $1 * 1000 } END { printf "%.1f %.1f %.1f %.1f", a[int(NR * 0.5 + 0.5)], a[int(NR * 0.95 + 0.5)], a[int(NR * 0.99 + 0.5)], a[NR] }')
read -r p50 p95 p99 max <<<"$stats"

overview=(); message=()
id=$(db_scalar "$db" "SELECT id FROM messages ORDER BY id DESC LIMIT 1")
for _ in $(seq 5); do overview+=("$(page /console)"); message+=("$(page "/console/messages/$id")"); done
ov=$(printf '%s\n' "${overview[@]}" | sort -n | awk '{ a[NR] = $1 * 1000 } END { printf "%.1f", a[int(NR / 2 + 0.5)] }')
ms=$(printf '%s\n' "${message[@]}" | sort -n | awk '{ a[NR] = $1 * 1000 } END { printf "%.1f", a[int(NR / 2 + 0.5)] }')
bench_load "after"

printf '\n%-44s %10s\n' "console message log, $messages messages" "ms"
printf '%-44s %10s\n' "p50" "$p50" "p95 (target < $target_ms)" "$p95" "p99" "$p99" "max" "$max"
printf '%-44s %10s\n' "overview page (median of 5)" "$ov" "message page (median of 5)" "$ms"
bench_result "console log page p95 ms, $messages messages" "$p95" "-" "-" "< $target_ms" "$(verdict "$p95" '<=' "$target_ms")"
exit 0
