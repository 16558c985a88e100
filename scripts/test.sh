#!/usr/bin/env bash
# The one test command. On a fresh Debian machine with the .NET SDK:
#   scripts/test.sh
# installs the real peers the suites need (dnsmasq, postfix's smtp-sink, swaks, aiosmtpd,
# msmtp, wrk, postgresql, nodejs/npm), builds, runs the xunit suites, the OpenAPI client check,
# the end-to-end suite and every benchmark in a tiny configuration, and ends with one line "N passed, N failed"
# (exit status non-zero if anything failed).
#
#   SKIP_INSTALL=1   don't apt-get anything
#   SKIP_E2E=1 / SKIP_BENCH=1 / SKIP_UNIT=1 / SKIP_OPENAPI=1 / SKIP_DEPLOY=1   leave a suite out
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT" || exit 1

passed=0
failed=0
summary=()
failures=()   # names of failed tests and suites, repeated in the summary so a log's tail shows them
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/emailapi-test.XXXXXX")
trap 'rm -rf "$LOGS"' EXIT

section() { printf '\n=== %s\n' "$*"; }
record() {   # record SUITE PASSED FAILED
    passed=$((passed + $2)); failed=$((failed + $3))
    summary+=("$(printf '%-24s %4d passed, %4d failed' "$1" "$2" "$3")")
}
# script_suite LABEL LOG TIMEOUT FAIL_SED SCRIPT: run a bash suite that ends with "N passed, N failed",
# count it, and name its FAIL lines (FAIL_SED extracts a name) in the summary. A non-zero exit
# without a reported failure counts as one failure.
script_suite() {
    local label=$1 log="$LOGS/$2.log" limit=$3 fail_sed=$4 script=$5 rc line p f name
    section "$script"
    timeout -k 15 "$limit" bash "$script" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [[ -n $line ]]; then
        p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
    else
        p=0; f=0
    fi
    if [[ $rc != 0 && $f == 0 ]]; then
        echo "$script exited with $rc without reporting a failure: counted as 1 failure"
        f=1
    fi
    while read -r name; do failures+=("$label: $name"); done < <(sed -n -E "$fail_sed" "$log")
    record "$label" "$p" "$f"
}
finish() {
    section "summary"
    ((${#failures[@]} == 0)) || printf 'failed: %s\n' "${failures[@]}"
    printf '%s\n' "${summary[@]}"
    echo "$passed passed, $failed failed"
    ((failed == 0)) && exit 0 || exit 1
}

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

# --- 1. tools --------------------------------------------------------------------------
have_smtp_sink() { [[ -x /usr/sbin/smtp-sink || -x /usr/lib/postfix/sbin/smtp-sink ]] || command -v smtp-sink >/dev/null; }

install_missing() {
    local missing=()
    command -v dnsmasq >/dev/null || [[ -x /usr/sbin/dnsmasq ]] || missing+=(dnsmasq)
    have_smtp_sink || missing+=(postfix)
    command -v swaks >/dev/null || missing+=(swaks)
    command -v unshare >/dev/null || missing+=(util-linux)   # Postfix in its own mount namespace (e2e t_feedback)
    /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
    command -v msmtp >/dev/null || missing+=(msmtp)
    command -v wrk >/dev/null || missing+=(wrk)
    compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
    command -v curl >/dev/null || missing+=(curl)
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    command -v ss >/dev/null || missing+=(iproute2)
    # The web console's browser tests (tests/Api.Tests/WebConsole) drive Debian's Chromium headless.
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    command -v pgrep >/dev/null || missing+=(procps)
    command -v systemd-analyze >/dev/null || missing+=(systemd)   # checks deploy/emailapi.service
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    ((${#missing[@]} == 0)) && { echo "all tools present"; return 0; }
    echo "installing: ${missing[*]}"
    # Postfix is only wanted for smtp-sink/smtp-source: "No configuration" keeps it from
    # configuring and starting a mail system on port 25.
    if [[ " ${missing[*]} " == *" postfix "* ]]; then
        echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
    fi
    as_root apt-get update -qq || return 1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" || return 1
}

# The system Postfix and dnsmasq would hold port 25 / 53 that the e2e peers need.
stop_system_services() {
    local svc
    for svc in postfix dnsmasq; do
        if [[ $svc == postfix ]]; then
            as_root service postfix stop >/dev/null 2>&1 || as_root postfix stop >/dev/null 2>&1 || true
        else
            as_root service dnsmasq stop >/dev/null 2>&1 || true
        fi
        if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
            as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
        elif command -v update-rc.d >/dev/null; then
            as_root update-rc.d "$svc" disable >/dev/null 2>&1 || true
        fi
    done
    local busy
    busy=$(ss -Hltn 'sport = :25' 2>/dev/null | awk '{print $4}' | tr '\n' ' ')
    [[ -z $busy ]] || echo "warning: port 25 still in use ($busy); the e2e suite will refuse to start"
}

section "tools"
if [[ ${SKIP_INSTALL:-0} != 1 ]]; then
    install_missing || { echo "apt-get install failed"; record tools 0 1; finish; }
fi
stop_system_services
# The e2e suite's independent DKIM/SPF/DMARC verifier (mailauth), pinned by tests/e2e/node/package-lock.json.
if [[ ${SKIP_E2E:-0} != 1 ]]; then
    (cd tests/e2e/node && npm ci --no-audit --no-fund --loglevel=error) || echo "warning: npm ci in tests/e2e/node failed; the domains e2e test will fail"
    # The hosted-API SDKs (SendGrid, Postmark, Mailgun, Resend), official and unchanged, pinned by tests/compat/package-lock.json.
    (cd tests/compat && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) || echo "warning: npm ci in tests/compat failed; the compat e2e tests will fail"
fi

# --- 2. build --------------------------------------------------------------------------
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
section "dotnet build EmailApi.sln -c Release"
dotnet build EmailApi.sln -c Release -nologo 2>&1 | tee "$LOGS/build.log"
if [[ ${PIPESTATUS[0]} != 0 ]]; then
    echo "build failed; last lines:"
    tail -n 30 "$LOGS/build.log"
    record build 0 1
    finish
fi

# --- 3. unit and integration tests -------------------------------------------------------
if [[ ${SKIP_UNIT:-0} != 1 ]]; then
    section "dotnet test EmailApi.sln -c Release --no-build"
    # The console's browser tests leave screenshots of its pages here.
    export CONSOLE_SCREENSHOTS="$LOGS/console-screenshots"
    timeout 600 dotnet test EmailApi.sln -c Release --no-build 2>&1 | tee "$LOGS/unit.log"
    rc=${PIPESTATUS[0]}
    # VSTest: "Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, ..."
    # Microsoft.Testing.Platform: "  failed: 0" / "  succeeded: 12" blocks.
    read -r up uf < <(sed 's/\x1b\[[0-9;]*m//g' "$LOGS/unit.log" | awk '
        /(Passed|Failed)!  *- *Failed: *[0-9]+, *Passed: *[0-9]+/ {
            match($0, /Failed: *[0-9]+/); f += substr($0, RSTART + 7, RLENGTH - 7) + 0
            match($0, /Passed: *[0-9]+/); p += substr($0, RSTART + 7, RLENGTH - 7) + 0
            vstest = 1; next }
        !vstest && /^ *failed: *[0-9]+ *$/ { mf += $2 }
        !vstest && /^ *succeeded: *[0-9]+ *$/ { mp += $2 }
        END { if (vstest) print p + 0, f + 0; else print mp + 0, mf + 0 }')
    if [[ $rc != 0 && $uf == 0 ]]; then
        echo "dotnet test exited with $rc but reported no failed test (crash, abort or timeout): counted as 1 failure"
        uf=1
    fi
    # VSTest names each failure on a line "  Failed Namespace.Class.Method [12 ms]".
    while read -r name; do failures+=("dotnet test: $name"); done < <(
        sed 's/\x1b\[[0-9;]*m//g' "$LOGS/unit.log" | sed -n -E 's/^ +Failed (.+) \[[^]]*\] *$/\1/p')
    record "dotnet test" "$up" "$uf"
fi

# --- 3b. the OpenAPI document as clients meet it -------------------------------------------
# Spectral lint at zero warnings, then a client generated by openapi-typescript must compile and
# send the README's example to the built service (tests/openapi-client/run.sh; under a minute).
[[ ${SKIP_OPENAPI:-0} == 1 ]] || script_suite "openapi client" openapi 300 's/^FAIL (.+)$/\1/p' tests/openapi-client/run.sh

# --- 3c. deployment as docs/operations.md describes it ------------------------------------
# scripts/publish.sh's single-file executable starts alone, answers /health/live, accepts mail and
# logs it as JSON; deploy/emailapi.service passes systemd-analyze verify (tests/deploy/run.sh; ~2 min).
[[ ${SKIP_DEPLOY:-0} == 1 ]] || script_suite deploy deploy 600 's/^FAIL ([^ :]+).*$/\1/p' tests/deploy/run.sh

# --- 4. end-to-end ---------------------------------------------------------------------
[[ ${SKIP_E2E:-0} == 1 ]] || script_suite e2e e2e 900 's/^FAIL ([^ ]+) .*$/\1/p' tests/e2e/run.sh

# --- 5. benchmarks, tiny configuration (so they cannot rot) -------------------------------
if [[ ${SKIP_BENCH:-0} != 1 ]]; then
    bp=0; bf=0
    for b in scripts/bench/*.sh; do
        [[ -f $b ]] || continue
        [[ $b == */all.sh ]] && continue   # runs all the others again
        section "BENCH_QUICK=1 $b"
        if BENCH_QUICK=1 timeout -k 15 300 bash "$b"; then
            bp=$((bp + 1))
        else
            echo "bench $b failed"
            failures+=("benchmark: $b")
            bf=$((bf + 1))
        fi
    done
    record "benchmarks (quick)" "$bp" "$bf"
fi

finish
