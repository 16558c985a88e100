# shellcheck shell=bash
# Adversarial: every route with another tenant's key. Two accounts are made with the bootstrap
# (admin) key; account A leaves something behind on every kind of resource (a scheduled message
# sent with an idempotency key, a suppression, a webhook, its keys), then account B calls every
# route of the API aimed at A's ids, or listing data, and must get 404/403 (or only its own data),
# never a 5xx and never a byte of A's data in any answer. Afterwards A's data is still all there.
#
# The routes come from openapi/openapi.json (and the live /swagger/v1/swagger.json, when served),
# so a route added later is covered automatically: a route this file does not know how to
# exercise fails the test until a case is added to ROUTES below.

test_adv_tenants_every_route_with_another_tenants_key_finds_nothing() {
    "$PY" - "$BASE_URL" "$API_KEY" "$REPO_ROOT/openapi/openapi.json" <<'PY'
import json, sys, time, uuid, urllib.error, urllib.request
from datetime import datetime, timedelta, timezone

base, admin_key, spec_path = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []

def call(method, path, key, body=None, headers=None, raw=None):
    data, hdrs = None, {"Authorization": f"Bearer {key}"}
    if raw is not None:
        data, hdrs["Content-Type"] = raw, "message/rfc822"
    elif body is not None:
        data, hdrs["Content-Type"] = json.dumps(body).encode(), "application/json"
    hdrs.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")

def must(status, want, what, text):
    if status not in want:
        raise SystemExit(f"FAIL: setup: {what} answered {status}, expected {want}: {text[:300]}")
    return json.loads(text) if text else None

# --- two tenants, made by the admin ---------------------------------------------------------
run = uuid.uuid4().hex[:10]
def tenant(name):
    # senderDomains lets the tenant send from app.test without a verified domain (Domains:RequireVerified).
    s, _, t = call("POST", "/v1/accounts", admin_key, {"name": f"{name}-{run}", "senderDomains": ["app.test"]})
    acct = must(s, {201}, f"POST /v1/accounts {name}", t)
    s, _, t = call("POST", f"/v1/accounts/{acct['id']}/keys", admin_key, {"name": f"{name}-key", "scopes": ["send", "read"]})
    key = must(s, {201}, f"POST /v1/accounts/{acct['id']}/keys", t)
    return acct, key

a, a_key = tenant("tenant-a")
b, b_key = tenant("tenant-b")
A, B = a_key["key"], b_key["key"]

# --- A's data: something of every kind --------------------------------------------------------
marker = f"secret{run}"
send_at = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
a_message = {"from": "sender@app.test", "to": f"{marker}@ok.test", "subject": f"subject {marker}",
             "text": f"body {marker}", "tags": [f"tag{marker}"], "metadata": {"order": marker}, "sendAt": send_at}
idem = f"idem-{run}"
s, _, t = call("POST", "/v1/send", A, a_message, {"Idempotency-Key": idem})
a_msg_id = must(s, {202}, "A: POST /v1/send", t)["id"]
a_batch = {"messages": [dict(a_message, subject=f"batch {marker}")]}
s, _, t = call("POST", "/v1/send/batch", A, a_batch, {"Idempotency-Key": idem + "-batch"})
a_batch_ids = [r.get("id") for r in must(s, {200}, "A: POST /v1/send/batch", t)["results"]]
a_raw = (f"From: <sender@app.test>\r\nTo: <{marker}@ok.test>\r\nSubject: raw {marker}\r\n\r\nraw {marker}\r\n").encode()
a_raw_path = f"/v1/send/raw?from=sender@app.test&to={marker}@ok.test&sendAt={send_at}"
s, _, t = call("POST", a_raw_path, A, raw=a_raw, headers={"Idempotency-Key": idem + "-raw"})
a_raw_id = must(s, {202}, "A: POST /v1/send/raw", t)["id"]
a_supp = f"supp{marker}@example.org"
s, _, t = call("POST", "/v1/suppressions", A, {"email": a_supp})
must(s, {201}, "A: POST /v1/suppressions", t)
# A literal public address (never dialled: only 'bounced' is subscribed and A's one message is
# scheduled for tomorrow), so creating it needs no DNS query either.
s, _, t = call("POST", "/v1/webhooks", A, {"url": f"https://93.184.216.34/{marker}", "events": ["bounced"]})
a_hook_id = must(s, {201}, "A: POST /v1/webhooks", t)["id"]

# A sending domain with its DKIM key (never verified here: nothing is published).
a_domain_name = f"{marker}.example.com"
s, _, t = call("POST", "/v1/domains", A, {"name": a_domain_name})
a_domain = must(s, {201}, "A: POST /v1/domains", t)
a_dkim = next((r["value"] for r in a_domain.get("records", []) if "_domainkey" in r.get("name", "")), None)

# Everything of A that must never show up in an answer to B.
secrets = [a["id"], a["name"], a_key["id"], A, a_msg_id, a_raw_id, *[i for i in a_batch_ids if i], marker, a_supp, a_hook_id,
           a_domain["id"], *([a_dkim] if a_dkim else [])]
ids = {"account": a["id"], "key": a_key["id"], "message": a_msg_id, "suppression": a_supp, "webhook": a_hook_id,
       "domain": a_domain["id"]}

def check(route, what, status, ctype, text, want, asked, problem=True):
    tag = f"{route}: {what}"
    if status >= 500 or status not in want:
        failures.append(f"{tag} answered {status}, expected one of {sorted(want)}: {text[:200]}")
    # The hosted-API compatible routes answer in their provider's shape, not RFC 9457.
    if problem and 400 <= status < 500 and not ctype.startswith("application/problem+json"):
        failures.append(f"{tag} answered {status} with Content-Type '{ctype}', expected application/problem+json")
    # What B put in its own request (an id it guessed, an address) may come back as an echo;
    # anything else of A's in the answer is a leak.
    leaked = [x for x in secrets if x.lower() in text.lower() and x.lower() not in asked.lower()]
    if leaked:
        failures.append(f"{tag} answered {status} with tenant A's data {leaked}: {text[:300]}")
    print(f"  {status} {tag}")

def as_b(route, what, method, path, want, body=None, headers=None, raw=None, problem=True):
    status, ctype, text = call(method, path, B, body, headers, raw)
    asked = path + json.dumps(body or {}) + json.dumps(headers or {}) + (raw or b"").decode()
    check(route, what, status, ctype, text, want, asked, problem)
    return status, text

# The hosted-API compatible routes, with B's key in each provider's place; none may touch A's data.
def sendgrid_send(route):
    as_b(route, "sandbox send", "POST", "/v3/mail/send", {200}, {"personalizations": [{"to": [{"email": f"b{run}@ok.test"}]}],
         "from": {"email": "sender@app.test"}, "subject": "s", "content": [{"type": "text/plain", "value": "x"}],
         "mail_settings": {"sandbox_mode": {"enable": True}}}, problem=False)

def postmark_send(route):
    as_b(route, "a message without recipients", "POST", "/email", {422}, {"From": "sender@app.test", "Subject": "s", "TextBody": "x"},
         headers={"X-Postmark-Server-Token": B}, problem=False)

def postmark_batch(route):
    as_b(route, "a batch of one message without recipients", "POST", "/email/batch", {200},
         [{"From": "sender@app.test", "Subject": "s", "TextBody": "x"}], headers={"X-Postmark-Server-Token": B}, problem=False)

def mailgun_send(route):
    import base64, urllib.parse
    basic = "Basic " + base64.b64encode(f"api:{B}".encode()).decode()
    form = urllib.parse.urlencode({"from": "sender@app.test", "to": f"b{run}@ok.test", "subject": "s", "text": "x", "o:testmode": "yes"}).encode()
    as_b(route, "test-mode send", "POST", "/v3/app.test/messages", {200}, raw=form,
         headers={"Authorization": basic, "Content-Type": "application/x-www-form-urlencoded"}, problem=False)

def mailgun_mime(route):
    import base64, urllib.parse
    basic = "Basic " + base64.b64encode(f"api:{B}".encode()).decode()
    mime = f"From: sender@app.test\r\nTo: b{run}@ok.test\r\nSubject: s\r\n\r\nx\r\n"
    form = urllib.parse.urlencode({"to": f"b{run}@ok.test", "message": mime, "o:testmode": "yes"}).encode()
    as_b(route, "test-mode MIME send", "POST", "/v3/app.test/messages.mime", {200}, raw=form,
         headers={"Authorization": basic, "Content-Type": "application/x-www-form-urlencoded"}, problem=False)

def resend_send(route):
    as_b(route, "an email without a subject", "POST", "/emails", {422}, {"from": "sender@app.test", "to": f"b{run}@ok.test"}, problem=False)

def resend_batch(route):
    as_b(route, "a batch with an email without a subject", "POST", "/emails/batch", {422}, [{"from": "sender@app.test", "to": f"b{run}@ok.test"}], problem=False)

def resend_get(route):
    as_b(route, "A's message", "GET", f"/emails/{ids['message']}", {404}, problem=False)

# --- one case per route: B aims at A's ids, or lists --------------------------------------------
def own_account(route):
    as_b(route, "own account", "GET", "/v1/account", {200})

def create_account(route):
    as_b(route, "create an account", "POST", "/v1/accounts", {403}, {"name": f"b-made-{run}"})

def list_accounts(route):
    as_b(route, "list accounts", "GET", "/v1/accounts", {403})
    as_b(route, "list accounts after A", "GET", f"/v1/accounts?after={a['name']}", {403})

def get_account(route):
    as_b(route, "A's account", "GET", f"/v1/accounts/{ids['account']}", {403, 404})

def update_account(route):
    as_b(route, "rename A's account", "PATCH", f"/v1/accounts/{ids['account']}", {403, 404}, {"name": f"taken-{run}", "monthlyQuota": 0})

def create_key(route):
    as_b(route, "a key for A's account", "POST", f"/v1/accounts/{ids['account']}/keys", {403, 404}, {"name": "x", "scopes": ["send", "read"]})

def list_keys(route):
    as_b(route, "A's keys", "GET", f"/v1/accounts/{ids['account']}/keys", {403, 404})
    as_b(route, "own keys", "GET", f"/v1/accounts/{b['id']}/keys", {403, 200})

def revoke_key(route):
    as_b(route, "revoke A's key", "DELETE", f"/v1/accounts/{ids['account']}/keys/{ids['key']}", {403, 404})
    as_b(route, "revoke A's key under B's account", "DELETE", f"/v1/accounts/{b['id']}/keys/{ids['key']}", {403, 404})

def get_message(route):
    as_b(route, "A's message", "GET", f"/v1/messages/{ids['message']}", {404})

def cancel_message(route):
    as_b(route, "cancel A's message", "DELETE", f"/v1/messages/{ids['message']}", {404})

def list_messages(route):
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for q in ["", f"?tag=tag{marker}", f"?recipient={marker}@ok.test", "?status=queued", "?source=api",
              f"?since={since}", "?limit=100"]:
        as_b(route, f"list {q or '(no filter)'}", "GET", f"/v1/messages{q}", {200})
    # A cursor is opaque; one made from A's message id is refused or pages through B's own messages only.
    as_b(route, "list from a cursor naming A's message", "GET", f"/v1/messages?cursor={ids['message']}", {200, 400})

def send(route):
    # The very request A sent, with A's idempotency key: B must get a message of its own, not A's answer.
    as_b(route, "A's request with A's idempotency key", "POST", "/v1/send", {202}, a_message, {"Idempotency-Key": idem})

def send_batch(route):
    as_b(route, "A's batch with A's idempotency key", "POST", "/v1/send/batch", {200}, a_batch, {"Idempotency-Key": idem + "-batch"})

def send_raw(route):
    as_b(route, "A's raw message with A's idempotency key", "POST", a_raw_path, {202}, raw=a_raw, headers={"Idempotency-Key": idem + "-raw"})

def list_suppressions(route):
    as_b(route, "list", "GET", "/v1/suppressions", {200})
    as_b(route, "list after A's address", "GET", "/v1/suppressions?after=a", {200})

def remove_suppression(route):
    as_b(route, "remove A's address", "DELETE", f"/v1/suppressions/{ids['suppression']}", {404})

def add_suppression(route):
    # Adding the address A suppressed must be news to B (201), not "already there" (200): that would tell B about A's list.
    status, _ = as_b(route, "add A's address", "POST", "/v1/suppressions", {201}, {"email": ids["suppression"]})
    # B's own entry may now name the address; take it back out of B's list before the other cases.
    call("DELETE", f"/v1/suppressions/{ids['suppression']}", B)

def create_webhook(route):
    status, text = as_b(route, "create one", "POST", "/v1/webhooks", {201}, {"url": f"https://93.184.216.34/b{run}", "events": ["bounced"]})
    if status == 201:
        call("DELETE", f"/v1/webhooks/{json.loads(text)['id']}", B)

def list_webhooks(route):
    as_b(route, "list", "GET", "/v1/webhooks", {200})

def delete_webhook(route):
    as_b(route, "delete A's webhook", "DELETE", f"/v1/webhooks/{ids['webhook']}", {404})

def create_domain(route):
    # A's domain name is taken: 409, without saying by whom.
    as_b(route, "create A's domain", "POST", "/v1/domains", {409}, {"name": a_domain_name})

def list_domains(route):
    as_b(route, "list", "GET", "/v1/domains", {200})

def get_domain(route):
    as_b(route, "A's domain", "GET", f"/v1/domains/{ids['domain']}", {404})

def delete_domain(route):
    as_b(route, "delete A's domain", "DELETE", f"/v1/domains/{ids['domain']}", {404})

def verify_domain(route):
    as_b(route, "verify A's domain", "POST", f"/v1/domains/{ids['domain']}/verify", {404})

def rotate_domain(route):
    as_b(route, "rotate A's domain key", "POST", f"/v1/domains/{ids['domain']}/rotate", {404})

def deliverability(route):
    as_b(route, "the relay's deliverability report (admin)", "GET", "/v1/deliverability", {403})

def inbound_reports(route):
    as_b(route, "the relay's inbound reports (admin)", "GET", "/v1/inbound", {403})
    as_b(route, "the inbound reports of A's account (admin)", "GET", f"/v1/inbound?accountId={ids['account']}", {403})

ROUTES = {
    "POST /v3/mail/send": sendgrid_send,
    "POST /email": postmark_send,
    "POST /email/batch": postmark_batch,
    "POST /v3/{domain}/messages": mailgun_send,
    "POST /v3/{domain}/messages.mime": mailgun_mime,
    "POST /emails": resend_send,
    "POST /emails/batch": resend_batch,
    "GET /emails/{id}": resend_get,
    "GET /v1/inbound": inbound_reports,
    "POST /v1/domains": create_domain,
    "GET /v1/domains": list_domains,
    "GET /v1/domains/{id}": get_domain,
    "DELETE /v1/domains/{id}": delete_domain,
    "POST /v1/domains/{id}/verify": verify_domain,
    "POST /v1/domains/{id}/rotate": rotate_domain,
    "GET /v1/deliverability": deliverability,
    "GET /v1/account": own_account,
    "POST /v1/accounts": create_account,
    "GET /v1/accounts": list_accounts,
    "GET /v1/accounts/{id}": get_account,
    "PATCH /v1/accounts/{id}": update_account,
    "POST /v1/accounts/{id}/keys": create_key,
    "GET /v1/accounts/{id}/keys": list_keys,
    "DELETE /v1/accounts/{id}/keys/{keyId}": revoke_key,
    "GET /v1/messages/{id}": get_message,
    "DELETE /v1/messages/{id}": cancel_message,
    "GET /v1/messages": list_messages,
    "POST /v1/send": send,
    "POST /v1/send/batch": send_batch,
    "POST /v1/send/raw": send_raw,
    "GET /v1/suppressions": list_suppressions,
    "DELETE /v1/suppressions/{email}": remove_suppression,
    "POST /v1/suppressions": add_suppression,
    "POST /v1/webhooks": create_webhook,
    "GET /v1/webhooks": list_webhooks,
    "DELETE /v1/webhooks/{id}": delete_webhook,
}

# --- the route list: the checked-in document, plus the live one ----------------------------------
def routes_of(doc):
    return {f"{m.upper()} {p}" for p, ops in doc.get("paths", {}).items() for m in ops
            if m.lower() in ("get", "post", "put", "patch", "delete")}

routes = routes_of(json.load(open(spec_path, encoding="utf-8")))
try:
    with urllib.request.urlopen(base + "/swagger/v1/swagger.json", timeout=15) as r:
        routes |= routes_of(json.load(r))
except (urllib.error.URLError, ValueError) as e:
    print(f"  (live OpenAPI document not read: {e}; using the checked-in one)")
if len(routes) < len(ROUTES) // 2:
    raise SystemExit(f"FAIL: only {len(routes)} routes found in {spec_path}")

print(f"{len(routes)} routes; tenant A {a['id']}, tenant B {b['id']}")
for route in sorted(routes):
    case = ROUTES.get(route)
    if case is None:
        failures.append(f"{route}: no case in t_adv_tenants.sh; add one that aims it at another tenant's data")
        continue
    case(route)

# --- A's data is untouched --------------------------------------------------------------------
s, _, t = call("GET", f"/v1/messages/{a_msg_id}", A)
if s != 200 or '"queued"' not in t and '"scheduled"' not in t:
    failures.append(f"afterwards: A's message answered {s}: {t[:200]}")
s, _, t = call("GET", "/v1/suppressions", A)
if a_supp not in t:
    failures.append(f"afterwards: A's suppression list lost {a_supp}: {t[:200]}")
s, _, t = call("GET", "/v1/webhooks", A)
if a_hook_id not in t:
    failures.append(f"afterwards: A's webhook {a_hook_id} is gone: {t[:200]}")
s, _, t = call("GET", f"/v1/domains/{a_domain['id']}", A)
if s != 200 or a_domain_name not in t:
    failures.append(f"afterwards: A's domain answered {s}: {t[:200]}")
s, _, t = call("GET", "/v1/account", A)
if s != 200 or a["name"] not in t:
    failures.append(f"afterwards: A's account answered {s}: {t[:200]}")
s, _, t = call("GET", f"/v1/accounts/{a['id']}/keys", admin_key)
if a_key["id"] not in t or '"revokedAt":null' not in t.replace(" ", ""):
    failures.append(f"afterwards: A's key was revoked or lost: {t[:300]}")
# Tidy up: A's scheduled messages are cancelled so they never leave.
for mid in [a_msg_id, a_raw_id, *a_batch_ids]:
    if mid: call("DELETE", f"/v1/messages/{mid}", A)

if failures:
    print("\n".join(f"FAIL: {f}" for f in failures))
    sys.exit(1)
print(f"every route held: {len(routes)} routes, none showed tenant A's data to tenant B")
PY
}
