# shellcheck shell=bash
# The hosted-API compatible endpoints through each provider's official SDK, unchanged (tests/compat/,
# installed by scripts/test.sh with npm ci): each sends a full message that is checked field by field at
# the sink, and reads our error answers (bad key, invalid address, suppressed recipient) as it reads
# the provider's.

_compat_node() {   # _compat_node SCRIPT: run one SDK check against this world's service and ok.test sink
    local dir="$E2E_LIB_DIR/../compat"
    [[ -d $dir/node_modules ]] || { fail "tests/compat/node_modules is missing: run 'npm ci' there (scripts/test.sh does)"; return 1; }
    BASE_URL="$BASE_URL" API_KEY="$API_KEY" SINK_DIR="$SINKS/ok" HELO_NAME="$HELO_NAME" timeout 120 node "$dir/$1" \
        || { fail "$1 reported failures (above)"; return 1; }
}

test_compat_sendgrid_sdk() { _compat_node sendgrid.mjs; }
test_compat_postmark_sdk() { _compat_node postmark.mjs; }
test_compat_mailgun_sdk() { _compat_node mailgun.mjs; }
test_compat_resend_sdk() { _compat_node resend.mjs; }
