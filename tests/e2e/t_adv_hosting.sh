# shellcheck shell=bash
# Hosting faults with the real process (issue #15, points 7, 8, 12). Each test runs its own
# instance ("advhost") on its own data folder and ports, so the shared service is untouched.

# _advhost_env DIR: the instance's settings, one VAR=VALUE a line.
_advhost_env() {
    local dir=$1 http_port smtp_port
    http_port=$(free_port); smtp_port=$(free_port)
    while [[ $smtp_port == "$http_port" ]]; do smtp_port=$(free_port); done
    ADV_URL="http://127.0.0.1:$http_port" ADV_SMTP_PORT=$smtp_port
    cat <<ENV
Urls=$ADV_URL
Roles=api,smtp,sender
Storage__Sqlite__Path=$dir/data/q.db
Storage__CheckInterval=00:00:01
Bootstrap__ApiKey=$API_KEY
$(grep '^Delivery__DnsServers__0=' "$E2E_DIR/service.env")
Delivery__HeloName=$HELO_NAME
Smtp__Address=127.0.0.1
Smtp__Port=$ADV_SMTP_PORT
Smtp__ImplicitTlsPort=-1
ENV
}

# _advhost_run DIR OUT ERR [VAR=VALUE...]: run the program in the foreground (for starts that
# must fail); sets ADV_RC. Bounded: a start that wrongly succeeds is stopped after 60 s.
_advhost_run() {
    local dir=$1 out=$2 err=$3; shift 3
    local vars=()
    mapfile -t vars <"$dir/env"
    (cd "$dir" && exec env DOTNET_NOLOGO=1 "${vars[@]}" "$@" timeout -k 5 60 dotnet "$PEERS_DLL") >"$out" 2>"$err"
    ADV_RC=$?
}

# The database's files deleted under the running service: readiness fails naming the storage
# check, HTTP sends get 503 with Retry-After, SMTP gets 451 4.3.0, and nothing recreates the
# file. The next start refuses with one clear line and a non-zero exit instead of starting
# empty; Storage:Sqlite:AllowCreate=true is the operator's way to start afresh.
test_adv_hosting_deleted_database_is_noticed_and_not_recreated() {
    local d; d=$(test_tmp)
    mkdir -p "$d/advhost"
    _advhost_env "$d/advhost" >"$d/advhost/env"
    local vars=(); mapfile -t vars <"$d/advhost/env"
    start_emailapi advhost "${vars[@]}" || { fail "advhost instance did not start"; return 1; }
    local base=$BASE_URL; BASE_URL=$ADV_URL

    make_message "$d/m.json" "{'to': 'alice@ok.test', 'subject': 'before the loss'}"
    send_ok "$d/m.json" || { BASE_URL=$base; stop_emailapi advhost; return 1; }
    http GET /health/ready
    expect_eq "$HTTP_CODE" 200 "ready before the loss" || { BASE_URL=$base; stop_emailapi advhost; return 1; }

    rm -f "$d/advhost/data/q.db" "$d/advhost/data/q.db-wal" "$d/advhost/data/q.db-shm"
    note "deleted $d/advhost/data/q.db{,-wal,-shm}"

    local ok=1
    send_json "$d/m.json"
    if [[ $HTTP_CODE != 503 ]]; then fail "POST /v1/send after the loss: $HTTP_CODE, expected 503; body: $(body_excerpt)"; ok=0; fi
    [[ $HTTP_CTYPE == application/problem+json* ]] || { fail "503 is not a problem document ($HTTP_CTYPE)"; ok=0; }
    grep -qi '^Retry-After:' "$HTTP_HEADERS" || { fail "503 without Retry-After"; ok=0; }

    _smtp_message "$d/s.eml" swaks "after the loss" >/dev/null
    swaks --server "127.0.0.1:$ADV_SMTP_PORT" --auth PLAIN --auth-user apikey --auth-password "$API_KEY" \
        --from sender@app.test --to alice@ok.test --data "@$d/s.eml" --timeout 30 >"$d/swaks.out" 2>&1
    if ! grep -qE '^<\*\* +451 4\.3\.0' "$d/swaks.out"; then
        fail "SMTP after the loss was not answered 451 4.3.0:"; grep -E '^(<\*\*|<-) ' "$d/swaks.out" | tail -n 4 | sed 's/^/      /'; ok=0
    fi

    # The monitor checks every second; readiness runs its own check as well.
    local deadline=$((SECONDS + 20))
    while ((SECONDS < deadline)); do
        http GET /health/ready
        [[ $HTTP_CODE == 503 ]] && break
        sleep 0.1
    done
    if [[ $HTTP_CODE != 503 ]]; then fail "/health/ready after the loss: $HTTP_CODE, expected 503"; ok=0
    else
        local status; status=$(json "$HTTP_BODY" 'j["checks"]["storage"]["status"] + ": " + j["checks"]["storage"]["description"]')
        note "ready: 503, storage $status"
        [[ $status == Unhealthy:* ]] || { fail "the health body does not name the storage check: $(body_excerpt)"; ok=0; }
    fi
    [[ ! -e $d/advhost/data/q.db ]] || { fail "the running service recreated q.db"; ok=0; }
    BASE_URL=$base
    stop_emailapi advhost

    # Restart on the same folder: refused, one line, non-zero exit, no new database.
    _advhost_run "$d/advhost" "$d/restart.out" "$d/restart.err"
    note "restart: exit $ADV_RC, stderr: $(head -c 300 "$d/restart.err")"
    [[ $ADV_RC != 0 && $ADV_RC != 124 ]] || { fail "the restart did not refuse (exit $ADV_RC)"; ok=0; }
    [[ $(wc -l <"$d/restart.err") == 1 ]] || { fail "expected one line on stderr, got: $(cat "$d/restart.err")"; ok=0; }
    grep -q "q.db is missing" "$d/restart.err" && grep -q "Storage:Sqlite:AllowCreate=true" "$d/restart.err" \
        || { fail "the refusal does not say what is wrong and what to do"; ok=0; }
    [[ ! -e $d/advhost/data/q.db ]] || { fail "the refused restart created q.db"; ok=0; }

    # The operator's way out: AllowCreate starts with an empty database.
    start_emailapi advhost "${vars[@]}" Storage__Sqlite__AllowCreate=true || { fail "AllowCreate=true did not start"; return 1; }
    BASE_URL=$ADV_URL
    http GET /health/ready
    BASE_URL=$base
    stop_emailapi advhost
    expect_eq "$HTTP_CODE" 200 "ready after AllowCreate=true" || ok=0
    ((ok == 1))
}

# Bad settings: one line per problem on stderr, a non-zero exit, and no data folder or first
# key created (the key would be printed to a start that fails, and never shown again).
test_adv_hosting_bad_settings_stop_the_start_with_one_line() {
    local d; d=$(test_tmp)
    local ok=1 setting want
    while IFS='|' read -r setting want; do
        rm -rf "$d/advhost"; mkdir -p "$d/advhost"
        _advhost_env "$d/advhost" >"$d/advhost/env"
        _advhost_run "$d/advhost" "$d/out" "$d/err" "$setting"
        if [[ $ADV_RC != 2 ]]; then fail "$setting: exit $ADV_RC, expected 2"; ok=0; fi
        if [[ $(cat "$d/err") != "$want" ]]; then fail "$setting: stderr was: $(head -c 400 "$d/err")"; ok=0; fi
        if [[ -e $d/advhost/data ]]; then fail "$setting: the data folder was created"; ok=0; fi
        if grep -q "Created account" "$d/out"; then fail "$setting: a first account was created"; ok=0; fi
        note "$setting -> exit $ADV_RC: $(cat "$d/err")"
    done <<'TABLE'
Delivery__MaxConcurrency=0|Delivery:MaxConcurrency must be between 1 and 10000 (was 0)
Delivery__RetryDelays__0=10m|Delivery:RetryDelays:0 must be a duration such as 00:05:00 (was 10m)
Sending__MaxRecipients=0|Sending:MaxRecipients must be between 1 and 10000 (was 0)
Delivery__Port=twenty-five|Delivery:Port must be a whole number (was twenty-five)
Storage__Provider=Mysql|Storage:Provider must be Sqlite or Postgres (was Mysql)
TABLE

    # --help describes the commands and does not start a server.
    rm -rf "$d/advhost"; mkdir -p "$d/advhost"
    _advhost_env "$d/advhost" >"$d/advhost/env"
    (cd "$d/advhost" && timeout -k 5 30 dotnet "$PEERS_DLL" --help) >"$d/help.out" 2>&1
    local rc=$?
    [[ $rc == 0 ]] || { fail "--help exited $rc"; ok=0; }
    grep -q "serve" "$d/help.out" && grep -q "keys" "$d/help.out" || { fail "--help does not list serve and keys: $(head -c 400 "$d/help.out")"; ok=0; }
    ! grep -q "Now listening" "$d/help.out" || { fail "--help started the server"; ok=0; }
    [[ ! -e $d/advhost/data ]] || { fail "--help created the data folder"; ok=0; }
    ((ok == 1))
}
