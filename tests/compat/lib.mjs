// Shared by the SDK checks (run by tests/e2e/t_compat.sh inside the e2e world): the service at
// BASE_URL with the bootstrap key API_KEY, mail for *.ok.test saved by the sink into SINK_DIR.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';

export const BASE_URL = process.env.BASE_URL;
export const API_KEY = process.env.API_KEY;
export const SINK_DIR = process.env.SINK_DIR;
export const HELO = process.env.HELO_NAME ?? 'relay.test';
if (!BASE_URL || !API_KEY || !SINK_DIR) throw new Error('BASE_URL, API_KEY and SINK_DIR must be set');

let failures = 0;
/** Runs one named check; prints PASS/FAIL with the reason. */
export async function step(name, fn) {
  try {
    await fn();
    console.log(`PASS ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}
export function finish() {
  console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

/** A call to the native API with the bootstrap key. */
export async function api(method, path, body) {
  const res = await fetch(BASE_URL + path, {
    method,
    headers: { Authorization: `Bearer ${API_KEY}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** A second account with its own key (for tenant isolation checks). */
export async function otherAccountKey(name) {
  const account = await api('POST', '/v1/accounts', { name, senderDomains: [] });
  assert.equal(account.status, 201, JSON.stringify(account.json));
  const key = await api('POST', `/v1/accounts/${account.json.id}/keys`, { name: 'compat', scopes: ['send', 'read'] });
  assert.equal(key.status, 201, JSON.stringify(key.json));
  return key.json.key;
}

export async function suppress(email) {
  const r = await api('POST', '/v1/suppressions', { email, reason: 'compat check' });
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.json));
}

/** A unique local part per run, so reruns and providers never see each other's mail. */
export function unique(prefix) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Every byte value and some random ones: an attachment that is not text. */
export function binaryAttachment() {
  return Buffer.concat([Buffer.from([...Array(256).keys()]), randomBytes(700)]);
}

/** Waits until every recipient of native message ID is delivered; returns the native view. */
export async function waitDelivered(id, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let view;
  while (Date.now() < deadline) {
    view = await api('GET', `/v1/messages/${id}`);
    if (view.status === 200 && view.json.recipients.every(r => r.status === 'delivered')) return view.json;
    if (view.status === 200 && view.json.recipients.some(r => ['bounced', 'failed', 'suppressed'].includes(r.status)))
      throw new Error(`message ${id} reached a final status: ${JSON.stringify(view.json.recipients)}`);
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`message ${id} not delivered in time: ${JSON.stringify(view?.json?.recipients)}`);
}

/** The copies of message ID the sink saved: [{ mail (parsed), raw, envelope }]. */
export async function sinkCopies(id, timeoutMs = 10000) {
  const want = `<${id}@${HELO}>`.toLowerCase();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const copies = [];
    for (const f of (await readdir(SINK_DIR).catch(() => [])).filter(f => f.endsWith('.eml'))) {
      const raw = await readFile(join(SINK_DIR, f));
      const head = raw.subarray(0, 8192).toString('latin1');
      if (!head.toLowerCase().includes(want)) continue;
      const mail = await simpleParser(raw);
      if ((mail.messageId ?? '').toLowerCase() !== want) continue;
      copies.push({ mail, raw, envelope: JSON.parse(await readFile(join(SINK_DIR, f.replace(/\.eml$/, '.json')), 'utf8')) });
    }
    if (copies.length > 0) return copies;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`no copy of ${want} in ${SINK_DIR}`);
}

/**
 * The message as it arrived, field by field, against what the SDK was asked to send:
 * { id, from, to[], cc[], bcc[], subject, text, html, header: [name, value], attachment: {filename, contentType, bytes}, tags[], metadata{} }.
 */
export async function checkArrived(expected) {
  const view = await waitDelivered(expected.id);
  const copies = await sinkCopies(expected.id);
  const { mail } = copies[0];
  const addresses = field => (mail[field]?.value ?? []).map(a => a.address.toLowerCase()).sort();
  assert.equal(mail.from.value[0].address, expected.from, 'From');
  assert.deepEqual(addresses('to'), [...expected.to].sort(), 'To');
  assert.deepEqual(addresses('cc'), [...expected.cc].sort(), 'Cc');
  assert.equal(mail.bcc, undefined, 'no Bcc header');
  assert.equal(mail.subject, expected.subject, 'Subject');
  assert.equal(mail.text.replace(/\r\n/g, '\n').trimEnd(), expected.text.trimEnd(), 'text body');
  assert.equal(mail.html.replace(/\r\n/g, '\n').trimEnd(), expected.html.trimEnd(), 'html body');
  assert.equal(mail.headers.get(expected.header[0].toLowerCase()), expected.header[1], `header ${expected.header[0]}`);
  const attachment = mail.attachments.find(a => a.filename === expected.attachment.filename);
  assert.ok(attachment, `attachment ${expected.attachment.filename} (got ${mail.attachments.map(a => a.filename)})`);
  assert.equal(attachment.contentType, expected.attachment.contentType, 'attachment type');
  assert.ok(attachment.content.equals(expected.attachment.bytes), 'attachment bytes');
  const envelope = copies.flatMap(c => c.envelope.rcpt_tos.map(r => r.toLowerCase())).sort();
  assert.deepEqual(envelope, [...expected.to, ...expected.cc, ...expected.bcc].sort(), 'envelope recipients (bcc included)');
  assert.ok(mail.headers.has('dkim-signature') || view.source === 'api', 'sent through the native path');
  assert.deepEqual([...view.tags].sort(), [...expected.tags].sort(), 'tags in the message log');
  assert.deepEqual(view.metadata, expected.metadata, 'metadata in the message log');
  return view;
}
