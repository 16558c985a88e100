# shellcheck shell=bash
# Shared by the benchmarks in scripts/bench (sourced, not run: scripts/test.sh runs only
# scripts/bench/*.sh). Every server a benchmark starts binds to 127.0.0.0/8 on a free port and is
# stopped by the EXIT trap that bench_init sets.
#
# A benchmark ends with machine-readable lines that scripts/bench/all.sh collects:
#   BENCH_RESULT|benchmark|EmailApi|Postfix|ratio|target|verdict

BENCH_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
export PEERS_REPO_ROOT="$BENCH_REPO_ROOT"
# shellcheck source=../../lib/peers.sh
source "$BENCH_REPO_ROOT/scripts/lib/peers.sh"
# shellcheck source=warmup.sh
source "$BENCH_REPO_ROOT/scripts/bench/lib/warmup.sh"

BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_API_KEY=ea_bench_0123456789abcdef0123456789abcdef
BENCH_NAME=bench

# bench_init NAME: work directory, cleanup trap, and a private copy of the build (so a rebuild in
# the working tree cannot swap assemblies under a running service).
bench_init() {
    BENCH_NAME=$1
    peers_init
    # shellcheck disable=SC2064
    trap "bench_cleanup" EXIT
    trap 'exit 130' INT TERM
    if [[ ${BENCH_NO_SNAPSHOT:-0} != 1 ]]; then snapshot_build || bench_die "no build to run"; fi
}

bench_cleanup() {
    local rc=$?
    peers_cleanup
    if [[ ${BENCH_KEEP:-0} == 1 || $rc != 0 ]]; then
        echo "$BENCH_NAME: work directory kept: $PEERS_DIR (logs in $PEERS_DIR/logs)"
        rm -rf "$PEERS_DIR/app"
    else
        rm -rf "$PEERS_DIR"
    fi
}

bench_die() { echo "$BENCH_NAME: FAIL $*"; exit 1; }
bench_log() { echo "$BENCH_NAME: $*"; }

now_s() { date +%s.%N; }

# calc EXPR [VAR=VALUE...]: awk arithmetic, printed with the format in CALC_FMT (default %.1f).
calc() {
    local expr=$1 kv args=(); shift
    for kv in "$@"; do args+=(-v "$kv"); done
    awk "${args[@]}" "BEGIN { printf \"${CALC_FMT:-%.1f}\", ($expr) }"
}

# ratio A B: A/B with three decimals, or n/a.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "") printf "%.2f", a / b; else printf "n/a" }'; }

# verdict VALUE OP TARGET: "met" / "MISSED" (OP is >= or <=).
verdict() {
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
        if (v == "" || v == "n/a") { print "n/a"; exit }
        ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0)
        print ok ? "met" : "MISSED" }'
}

# bench_result BENCHMARK EMAILAPI POSTFIX RATIO TARGET VERDICT
bench_result() { printf 'BENCH_RESULT|%s|%s|%s|%s|%s|%s\n' "$@"; }

# start_bench_dns DOMAIN ADDR: dnsmasq on a free port answering DOMAIN MX 10 -> ADDR; sets BENCH_DNS_PORT.
start_bench_dns() {
    BENCH_DNS_PORT=$(free_port)
    DNSMASQ_NAME=dnsmasq-bench start_dnsmasq "$BENCH_DNS_PORT" --local=/test/ \
        --mx-host="$1,mx.$1,10" --host-record="mx.$1,$2" || bench_die "dnsmasq did not start"
    local got; got=$(dns_query "$1" MX 127.0.0.1 "$BENCH_DNS_PORT")
    [[ $got == "NOERROR MX 10 mx.$1" ]] || bench_die "dnsmasq answers '$got' for $1 MX"
}

# wait_sink_count NAME TARGET TIMEOUT_S: poll smtp-sink NAME's counter every 50 ms until it reaches
# TARGET. Sets SINK_FIRST_AT (first time the count moved), SINK_DONE_AT and SINK_COUNT; fails on timeout.
# With SINK_CPU_PID set, also SINK_FIRST_CPU / SINK_DONE_CPU (tree_cpu_s of that pid) and
# SINK_FIRST_TICKS / SINK_DONE_TICKS (sys_cpu_ticks) at those two moments.
wait_sink_count() {
    local name=$1 target=$2 timeout=$3 log="$PEERS_DIR/logs/smtp-sink-$1.log"
    local start; start=$(date +%s)
    local tail_text base
    SINK_FIRST_AT=""; SINK_DONE_AT=""; SINK_COUNT=0
    base=$(smtp_sink_count "$name")
    while :; do
        tail_text=$(tail -c 120 "$log" 2>/dev/null)
        if [[ $tail_text =~ mesg=([0-9]+)[^m]*$ ]]; then SINK_COUNT=${BASH_REMATCH[1]}; fi
        if [[ -z $SINK_FIRST_AT ]] && ((SINK_COUNT > base)); then
            SINK_FIRST_AT=$(now_s)
            if [[ -n ${SINK_CPU_PID:-} ]]; then SINK_FIRST_CPU=$(tree_cpu_s "$SINK_CPU_PID"); SINK_FIRST_TICKS=$(sys_cpu_ticks); fi
        fi
        if ((SINK_COUNT >= target)); then
            SINK_DONE_AT=$(now_s)
            if [[ -n ${SINK_CPU_PID:-} ]]; then SINK_DONE_CPU=$(tree_cpu_s "$SINK_CPU_PID"); SINK_DONE_TICKS=$(sys_cpu_ticks); fi
            return 0
        fi
        if (($(date +%s) - start >= timeout)); then return 1; fi
        sleep 0.05
    done
}

# smtp_source_run LABEL HOST PORT COUNT SIZE SESSIONS: Postfix's smtp-source, timed. Sets
# SOURCE_SECONDS, SOURCE_START, SOURCE_END; output in logs/smtp-source-LABEL.log; fails with its status.
smtp_source_run() {
    local label=$1 host=$2 port=$3 count=$4 size=$5 sessions=$6 rc
    local bin; bin=$(command -v smtp-source || echo /usr/sbin/smtp-source)
    [[ -x $bin ]] || bench_die "smtp-source not found (install postfix)"
    SOURCE_START=$(now_s)
    timeout -k 5 "${BENCH_SOURCE_TIMEOUT:-600}" "$bin" -s "$sessions" -l "$size" -m "$count" \
        -f bench@app.test -t sink@bench.test -M bench-client.test "$host:$port" \
        >"$PEERS_DIR/logs/smtp-source-$label.log" 2>&1
    rc=$?
    SOURCE_END=$(now_s)
    SOURCE_SECONDS=$(CALC_FMT=%.3f calc 'b - a' a="$SOURCE_START" b="$SOURCE_END")
    if [[ $rc != 0 ]]; then
        echo "$BENCH_NAME: smtp-source ($label) exited $rc:"; tail -n 5 "$PEERS_DIR/logs/smtp-source-$label.log" | sed 's/^/  /'
        return "$rc"
    fi
}

# db_scalar DB SQL: one value from the SQLite file, read while the service may be writing (WAL).
db_scalar() { "$PEERS_SYS_PYTHON" -c 'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True, timeout=30); print(c.execute(sys.argv[2]).fetchone()[0])' "$1" "$2"; }

# emailapi_args DB ROLES [VAR=VALUE...]: the common configuration of a benchmark instance. Logging
# stays as shipped (appsettings.json: a line per accepted SMTP message), as Postfix keeps its maillog.
emailapi_args() {
    local db=$1 roles=$2; shift 2
    local http_port; http_port=$(free_port)
    printf '%s\n' "Urls=http://127.0.0.1:$http_port" "Roles=$roles" "Storage__Sqlite__Path=$db" \
        "Bootstrap__ApiKey=$BENCH_API_KEY" "$@"
}

# start_bench_emailapi NAME DB ROLES [VAR=VALUE...]: start_emailapi with emailapi_args; sets BENCH_URL.
start_bench_emailapi() {
    local name=$1; shift
    local args=()
    mapfile -t args < <(emailapi_args "$@")
    BENCH_URL=${args[0]#Urls=}
    start_emailapi "$name" "${args[@]}" || bench_die "EmailApi ($name) did not start; log: $PEERS_DIR/logs/emailapi-$name.log"
}

# writer_counters URL: "commits messages seconds" of the queue writer so far, from /metrics.
writer_counters() {
    curl -fsS -m 5 "$1/metrics" 2>/dev/null | awk '
        { sub(/\{\}$/, "", $1) }   # a series without labels reads name{} value
        $1 == "emailapi_queue_commits_total" { c = $2 } $1 == "emailapi_queue_commit_messages_total" { m = $2 }
        $1 == "emailapi_queue_commit_seconds_total" { s = $2 } END { printf "%d %d %.6f\n", c, m, s }'
}

# writer_summary "BEFORE" "AFTER" WALL_SECONDS: batch size and utilisation of the group commit in between.
writer_summary() {
    awk -v a="$1" -v b="$2" -v w="$3" 'BEGIN { split(a, x, " "); split(b, y, " "); c = y[1] - x[1]; m = y[2] - x[2]; s = y[3] - x[3]
        if (c > 0) printf "group commit: %d transactions, %.1f messages each, writer busy %.0f%% of the time, %.0f us per message\n", c, m / c, 100 * s / w, 1e6 * s / m }'
}

# --- CPU accounting: on a shared machine wall-clock rates are noisy, CPU time per message less so.
BENCH_HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# tree_cpu_s PID: CPU seconds used so far by PID, by its live children, and by the children it
# has already reaped (cutime/cstime): for Postfix's master that is the whole mail system.
tree_cpu_s() {
    # cat, not awk FILE...: a process that exits between the glob and the read must not end the sum.
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" -v hz="$BENCH_HZ" '
        { line = $0; pid = $1; sub(/^.*\) /, "", line); n = split(line, f, " ")
          if (pid == root || f[2] == root) t += f[12] + f[13] + f[14] + f[15] }
        END { printf "%.2f", t / hz }'
}

# sys_cpu_ticks: "busy total" jiffies of the whole machine (all cores) so far.
sys_cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat; }

# busy_pct "BUSY0 TOTAL0" "BUSY1 TOTAL1": machine CPU use between two sys_cpu_ticks readings, in %.
busy_pct() {
    local b0 t0 b1 t1
    read -r b0 t0 <<<"$1"; read -r b1 t1 <<<"$2"
    awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.0f", (t > 0 ? 100 * b / t : 0) }'
}

bench_load() { bench_log "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores ($1)"; }

# --- Destinations at internet shape (many-destinations.sh, deferred-queue.sh, inbox-latency.sh)
# Destination domain I is dI.wan.test; its MX mx.dI.wan.test is 127.20.(I/250).(I%250+1). 2% of
# the domains answer 451 to every recipient (I % 50 == 7), 1% take WAN_SLOW seconds per reply
# (I % 100 == 3, not a 451 one), the rest are healthy.
wan_address() { echo "127.20.$(($1 / 250)).$(($1 % 250 + 1))"; }
wan_behaviour() {
    if (($1 % 50 == 7)); then echo defer; elif (($1 % 100 == 3)); then echo slow; else echo ok; fi
}

# start_wan_peers DOMAINS DELAY SLOW [BEHAVIOUR]: dnsmasq (sets BENCH_DNS_PORT) answering MX and A
# for d0..d(DOMAINS-1).wan.test, and one lib/wan_sink.py listening on every MX address on a free
# port (WAN_PORT; its pid WAN_PID), each reply DELAY s after its command, SLOW s for the slow
# domains. BEHAVIOUR (ok|defer) gives every domain that behaviour instead of the mix above. Also
# writes $PEERS_DIR/wan-transport, the same destinations as a Postfix transport map (Postfix
# cannot be pointed at a DNS server on another port), and sets WAN_LOG (a line per message
# received) and WAN_STATS (JSON counters, see wan_stat).
start_wan_peers() {
    local domains=$1 delay=$2 slow=$3 only=${4:-} i addr b dns=()
    WAN_PORT=$(free_port)
    WAN_LOG="$PEERS_DIR/logs/wan-sink-messages.log"; WAN_STATS="$PEERS_DIR/wan-stats.json"
    : >"$PEERS_DIR/wan-addresses"; : >"$PEERS_DIR/wan-transport"
    for ((i = 0; i < domains; i++)); do
        addr=$(wan_address "$i"); b=${only:-$(wan_behaviour "$i")}
        echo "$addr $b" >>"$PEERS_DIR/wan-addresses"
        echo "d$i.wan.test smtp:[$addr]:$WAN_PORT" >>"$PEERS_DIR/wan-transport"
        dns+=("--mx-host=d$i.wan.test,mx.d$i.wan.test,10" "--host-record=mx.d$i.wan.test,$addr")
    done
    BENCH_DNS_PORT=$(free_port)
    DNSMASQ_NAME=dnsmasq-wan start_dnsmasq "$BENCH_DNS_PORT" --local=/test/ "${dns[@]}" || bench_die "dnsmasq did not start"
    local got; got=$(dns_query "d$((domains - 1)).wan.test" MX 127.0.0.1 "$BENCH_DNS_PORT")
    [[ $got == "NOERROR MX 10 mx.d$((domains - 1)).wan.test" ]] || bench_die "dnsmasq answers '$got' for d$((domains - 1)).wan.test MX"
    local log="$PEERS_DIR/logs/wan-sink.log"
    "$PEERS_SYS_PYTHON" "$BENCH_REPO_ROOT/scripts/bench/lib/wan_sink.py" --port "$WAN_PORT" \
        --addresses "$PEERS_DIR/wan-addresses" --delay "$delay" --slow "$slow" --log "$WAN_LOG" --stats "$WAN_STATS" >>"$log" 2>&1 &
    WAN_PID=$!
    _peers_register "$WAN_PID" wan-sink
    local deadline=$((SECONDS + 30))
    until grep -q 'listening on' "$log" 2>/dev/null && [[ -f $WAN_STATS ]]; do
        pid_alive "$WAN_PID" || { tail -n 20 "$log"; bench_die "wan_sink exited at start"; }
        ((SECONDS >= deadline)) && bench_die "wan_sink did not start"
        sleep 0.1
    done
}

# wan_stat KEY FIELD: one counter of the wan_sink (delivered | deferred | connections for the
# recipients' prefix KEY; "open" / "peak_open" with KEY -).
wan_stat() {
    if [[ $1 == - ]]; then jq -r ".$2 // 0" "$WAN_STATS" 2>/dev/null || echo 0
    else jq -r ".\"$1\".$2 // 0" "$WAN_STATS" 2>/dev/null || echo 0; fi
}

# wait_wan KEY TARGET TIMEOUT_S: poll until wan_sink has TARGET messages for KEY; sets WAN_FIRST_AT
# (the first time the count moved), WAN_DONE_AT and WAN_COUNT; returns 1 on timeout.
wait_wan() {
    local key=$1 target=$2 timeout=$3 start=$SECONDS base
    WAN_FIRST_AT=""; WAN_DONE_AT=""
    base=$(wan_stat "$key" delivered)
    while :; do
        WAN_COUNT=$(wan_stat "$key" delivered)
        [[ -z $WAN_FIRST_AT ]] && ((WAN_COUNT > base)) && WAN_FIRST_AT=$(now_s)
        if ((WAN_COUNT >= target)); then WAN_DONE_AT=$(now_s); return 0; fi
        ((SECONDS - start >= timeout)) && return 1
        sleep 0.1
    done
}

# postfix_wan NAME ADDR PORT [hold] [main.cf lines...]: start_postfix relaying every dI.wan.test
# through $PEERS_DIR/wan-transport, with Postfix's defaults otherwise.
postfix_wan() {
    local name=$1 addr=$2 port=$3; shift 3
    local hold=()
    [[ ${1:-} == hold ]] && { hold=(hold); shift; }
    start_postfix "$name" "$addr" "$port" unused.test 127.0.0.9 25 "${hold[@]}" \
        "transport_maps = texthash:$PEERS_DIR/wan-transport" "default_transport = error:5.1.2 not a benchmark domain" "$@"
}

# cpu_ms_per START_CPU END_CPU COUNT: milliseconds of CPU per message between two tree_cpu_s readings.
cpu_ms_per() { CALC_FMT=%.2f calc '1000 * (b - a) / n' a="$1" b="$2" n="$3"; }

# bench_rss_result SCRIPT KB: the peak-RSS result line (target <= 300 MB) for all.sh's memory row.
bench_rss_result() { local mb=$(($2 / 1024)); bench_result "peak RSS $1, MB" "$mb" "-" "-" "<= 300" "$(verdict "$mb" '<=' 300)"; }
