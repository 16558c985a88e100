# shellcheck shell=bash
# Durability: every 202 survives kill -9.

# 200 concurrent sends; kill -9 the service while they are in flight; restart it on the
# same database. Every id that got a 202 must reach the MX (matched on Message-ID).
# Duplicates are reported, not failed.
test_kill9_during_sends_loses_no_acknowledged_message() {
    local d; d=$(test_tmp)
    local n=${E2E_KILL_SENDS:-200} par=${E2E_KILL_PARALLEL:-50} wait_s=${E2E_KILL_WAIT:-150}
    mkdir -p "$d/req" "$d/resp"
    # One request file per send; 4 KB of text each so the batch takes a moment.
    "$PY" - "$d/req" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
filler = "\n".join(["durability " * 7] * 50)
for i in range(1, n + 1):
    json.dump({"from": "sender@app.test", "to": f"r{i}@crash.test", "subject": f"kill9 {i}",
               "text": f"message {i}\n{filler}\n"}, open(f"{out}/{i}.json", "w"))
PY
    local sends_pid
    seq 1 "$n" | xargs -P "$par" -I{} sh -c \
        'curl -s -m 30 -o "$2/$1.body" -w "%{http_code}\n" -H "Authorization: Bearer $3" \
            -H "Content-Type: application/json" --data-binary "@$4/$1.json" "$5/v1/send" >"$2/$1.code" 2>/dev/null' \
        _ {} "$d/resp" "$API_KEY" "$d/req" "$BASE_URL" &
    sends_pid=$!

    # Kill once about a quarter of the sends have been acknowledged, so the rest are in
    # flight or not yet started.
    local target=$((n / 4)) acked=0 deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        acked=$(grep -l '^202$' "$d"/resp/*.code 2>/dev/null | wc -l)
        ((acked >= target)) && break
        pid_alive "$sends_pid" || break
        sleep 0.02
    done
    local pid; pid=$(service_pid)
    kill9_emailapi main || { fail "could not kill the service (pid $pid)"; return 1; }
    note "kill -9 of pid $pid after $acked acknowledged sends"
    wait "$sends_pid"

    local codes
    codes=$(cat "$d"/resp/*.code 2>/dev/null | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
    local accepted=()
    local f
    for f in "$d"/resp/*.code; do
        [[ $(cat "$f") == 202 ]] || continue
        accepted+=("$(json "${f%.code}.body" 'j["id"]')")
    done
    note "HTTP answers: $codes(000 = connection failed, killed in flight)"
    ((${#accepted[@]} > 0)) || { fail "no send was acknowledged before the kill"; return 1; }
    ((${#accepted[@]} < n)) || note "warning: all $n sends were acknowledged before the kill landed; nothing was in flight"

    service_start || { fail "service did not restart on the same database"; return 1; }
    note "restarted as pid $(service_pid)"

    printf '%s\n' "${accepted[@]}" | tr 'A-Z' 'a-z' | sort >"$d/accepted.txt"
    local missing=() delivered dups deadline2=$((SECONDS + wait_s)) round=0
    while :; do
        "$PY" "$E2E_LIB_DIR/mailcheck.py" ids "$SINKS/crash" >"$d/seen.txt"
        sed "s/@$HELO_NAME / /" "$d/seen.txt" | awk '{print $1}' | sort >"$d/seen-ids.txt"
        mapfile -t missing < <(comm -23 "$d/accepted.txt" "$d/seen-ids.txt")
        ((${#missing[@]} == 0 || SECONDS >= deadline2)) && break
        # Stop waiting early when every missing one has reached a final status anyway.
        round=$((round + 1))
        if ((round % 10 == 0)) && all_final "${missing[@]}"; then break; fi
        sink_growth 1 "$SINKS/crash"
    done
    delivered=$(comm -12 "$d/accepted.txt" "$d/seen-ids.txt" | wc -l)
    dups=$(awk '$2 > 1 {d += $2 - 1} END {print d + 0}' "$d/seen.txt")
    local extra; extra=$(comm -13 "$d/accepted.txt" "$d/seen-ids.txt" | wc -l)
    note "sends: $n, 202s: ${#accepted[@]}, delivered of those: $delivered, duplicate copies: $dups, delivered without a 202: $extra"
    if ((${#missing[@]} > 0)); then
        fail "${#missing[@]} acknowledged message(s) never reached the MX within ${wait_s}s of the restart:"
        local m
        for m in "${missing[@]:0:10}"; do
            get_message "$m"
            echo "      $m: GET $HTTP_CODE $(describe_view "$HTTP_BODY")"
        done
        return 1
    fi
}

# all_final ID...: every message's recipients are bounced/failed/suppressed/delivered.
all_final() {
    local m st
    for m in "$@"; do
        get_message "$m"
        [[ $HTTP_CODE == 200 ]] || return 1
        st=$(json "$HTTP_BODY" 'all(r.get("status") in ("bounced", "failed", "suppressed", "delivered") for r in j.get("recipients", []))')
        [[ $st == true ]] || return 1
    done
}
