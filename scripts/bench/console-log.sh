#!/usr/bin/env bash
# The web console with a million messages of the last 30 days in the database: how long do the
# message log and the overview take? Target: p95 under 200 ms for each (issue 19).
#
# Set-up: start the service once on a fresh SQLite file (schema and default account), stop it,
# fill it with BENCH_MESSAGES messages spread over the last 30 days, 90% of them delivered, by
# direct inserts into the real schema (lib/fill_queue.py), start it again (Roles=api), sign in to
# the console with the bootstrap key as a browser does (form token, then the session cookie), then
# time BENCH_REQUESTS page loads (curl's total time, one at a time, after a warm-up) spread over:
# the first page, a status filter, a recipient filter, a source filter, a time range, and ten pages
# down through the cursor. Then the overview: its first load (which rolls up the 30 days of events
# once, as the first load after an upgrade does) and BENCH_OVERVIEW_REQUESTS loads after it; its
# figures are checked against a direct count of the events. A message page is timed too (reported).
#
#   scripts/bench/console-log.sh                   1,000,000 messages, 400 requests
#   BENCH_QUICK=1 scripts/bench/console-log.sh     5,000 messages, 60 requests
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $BENCH_QUICK == 1 ]]; then
    messages=${BENCH_MESSAGES:-5000}; requests=${BENCH_REQUESTS:-60}; overview_requests=${BENCH_OVERVIEW_REQUESTS:-20}
else
    messages=${BENCH_MESSAGES:-1000000}; requests=${BENCH_REQUESTS:-400}; overview_requests=${BENCH_OVERVIEW_REQUESTS:-100}
fi
span_s=$((30 * 86400 - 3600))   # the last 30 days (less an hour, so the 30-day window holds them all)
fill_timeout=${BENCH_FILL_TIMEOUT:-900}
target_ms=200

bench_init console-log
bench_load "before"
db="$PEERS_DIR/console.db"
start_bench_emailapi init "$db" api
stop_emailapi init
bench_log "filling the database with $messages messages"
out=$(timeout -k 5 "$fill_timeout" "$PEERS_SYS_PYTHON" "$here/lib/fill_queue.py" "$db" "$messages" bench.test --span "$span_s" --delivered 0.9) \
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

percentiles() {   # seconds, one a line, on stdin: "p50 p95 p99 max" in ms
    sort -n | awk '{ a[NR] = $1 * 1000 } END { printf "%.1f %.1f %.1f %.1f", a[int(NR * 0.5 + 0.5)], a[int(NR * 0.95 + 0.5)], a[int(NR * 0.99 + 0.5)], a[NR] }'
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
read -r p50 p95 p99 max <<<"$(percentiles <"$times")"

# The overview: the first load rolls up every closed hour of the 30 days; the loads after it read the roll-up.
first_overview=$(page /console)
grep -q 'class="card"' "$PEERS_DIR/page.html" || bench_die "the overview page has no cards"
: >"$times"
for ((i = 0; i < overview_requests; i++)); do page /console >>"$times"; done
read -r ov50 ov95 ov99 ovmax <<<"$(percentiles <"$times")"
# The page's "Sent" and "Delivered" for 30 days against a direct count of the events.
shown=$(tr -d '\n' <"$PEERS_DIR/page.html" | sed -nE 's/.*Last 30 days<\/h2>.*<dt>Sent<\/dt><dd>([0-9,]+)<\/dd>.*<dt>Delivered<\/dt><dd class="s-delivered">([0-9,]+)<\/dd>.*/\1 \2/p' | tr -d ',')
since=$(( $(date +%s%3N) - 30 * 86400 * 1000 ))
counted="$(db_scalar "$db" "SELECT COUNT(*) FROM events WHERE type = 'queued' AND created_at >= $since") $(db_scalar "$db" "SELECT COUNT(*) FROM events WHERE type = 'delivered' AND created_at >= $since")"
[[ $shown == "$counted" ]] || bench_die "overview shows sent/delivered '$shown', a direct count of the events says '$counted'"
bench_log "overview figures (sent delivered, 30 days) $shown match a direct count of the events"

message=()
id=$(db_scalar "$db" "SELECT id FROM messages ORDER BY id DESC LIMIT 1")
for _ in $(seq 5); do message+=("$(page "/console/messages/$id")"); done
ms=$(printf '%s\n' "${message[@]}" | sort -n | awk '{ a[NR] = $1 * 1000 } END { printf "%.1f", a[int(NR / 2 + 0.5)] }')
first_ms=$(awk -v t="$first_overview" 'BEGIN { printf "%.1f", t * 1000 }')
bench_load "after"

printf '\n%-44s %10s\n' "console message log, $messages messages" "ms"
printf '%-44s %10s\n' "p50" "$p50" "p95 (target < $target_ms)" "$p95" "p99" "$p99" "max" "$max"
printf '\n%-44s %10s\n' "console overview, $messages messages / 30 days" "ms"
printf '%-44s %10s\n' "first load (rolls up 30 days once)" "$first_ms" "p50" "$ov50" "p95 (target < $target_ms)" "$ov95" "p99" "$ov99" "max" "$ovmax"
printf '%-44s %10s\n' "message page (median of 5)" "$ms"
bench_result "console log page p95 ms, $messages messages" "$p95" "-" "-" "< $target_ms" "$(verdict "$p95" '<=' "$target_ms")"
bench_result "console overview p95 ms, $messages messages in 30 days" "$ov95" "-" "-" "< $target_ms" "$(verdict "$ov95" '<=' "$target_ms")"
exit 0
