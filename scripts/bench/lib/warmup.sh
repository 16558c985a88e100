# shellcheck shell=bash
# Warming a service up until it runs the code a long-running server runs (sourced by
# lib/common.sh and http-send.sh).
#
# .NET compiles each method quickly first and recompiles the hot ones with full optimisation once
# they have been called often enough (tiered compilation). Under benchmark load that takes tens of
# seconds, during which the compiler takes up to half of the CPU (measured end to end: 4.1 s of
# JIT in the first 8.7 s round, 2.8 s in the second, 0.05-0.14 s in each 5 s round after). A
# fixed warm-up therefore measured start-up in some runs and not in others; this one goes on until
# the compiler has gone quiet.

# jit_seconds URL: time the service's JIT compiler has spent so far (the runtime's dotnet_jit_compilation_time_seconds_total).
jit_seconds() {
    curl -fsS -m 5 "$1/metrics" 2>/dev/null | awk '{ sub(/\{\}$/, "", $1) } $1 == "dotnet_jit_compilation_time_seconds_total" { print $2; found = 1 } END { if (!found) print "" }'
}

# warm_until_settled LABEL URL MAX_ROUNDS COMMAND...: runs COMMAND (one round of warm-up load)
# again until the JIT compiler spent under 5% of a round's wall time compiling, at most MAX_ROUNDS
# times. Sets WARM_ROUNDS (rounds run); returns non-zero when COMMAND fails. Prints one line per
# round, starting with LABEL.
warm_until_settled() {
    local label=$1 url=$2 max=$3 j0 j1 t0 t1 share
    shift 3
    WARM_ROUNDS=0
    while ((WARM_ROUNDS < max)); do
        j0=$(jit_seconds "$url"); t0=$(date +%s.%N)
        "$@" || return 1
        j1=$(jit_seconds "$url"); t1=$(date +%s.%N)
        WARM_ROUNDS=$((WARM_ROUNDS + 1))
        [[ -n $j0 && -n $j1 ]] || { echo "$label: no JIT figures at $url/metrics; one warm-up round only"; return 0; }
        share=$(awk -v a="$j0" -v b="$j1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", 100 * (b - a) / (e - s) }')
        printf '%s: warm-up round %d: %.1f s, of which %.2f s compiling (%s%%)\n' "$label" "$WARM_ROUNDS" \
            "$(awk -v s="$t0" -v e="$t1" 'BEGIN { print e - s }')" "$(awk -v a="$j0" -v b="$j1" 'BEGIN { print b - a }')" "$share"
        ((share < 5)) && return 0
    done
    echo "$label: the JIT compiler was still busy after $max warm-up rounds"
}
