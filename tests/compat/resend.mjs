// resend 6, unchanged, against POST /emails, POST /emails/batch and GET /emails/{id} (baseUrl option).
import assert from 'node:assert/strict';
import { Resend } from 'resend';
import { API_KEY, BASE_URL, api, binaryAttachment, checkArrived, finish, otherAccountKey, step, suppress, unique } from './lib.mjs';

const resend = new Resend(API_KEY, { baseUrl: BASE_URL });
const run = unique('rs');
const bytes = binaryAttachment();
const email = {
  from: 'Compat Resend <sender@app.test>',
  to: [`${run}-to@ok.test`],
  cc: [`${run}-cc@ok.test`],
  bcc: [`${run}-bcc@ok.test`],
  replyTo: 'replies@app.test',
  subject: `Resend SDK ${run} — grüße`,
  text: 'Plain part: äöü €\nsecond line',
  html: '<p>HTML part: <b>äöü €</b></p>',
  headers: { 'X-Compat-Check': 'resend' },
  attachments: [{ filename: 'report.bin', content: bytes, contentType: 'application/octet-stream' }],
  tags: [{ name: 'order', value: '1042' }, { name: 'run', value: run }],
};
let sentId;

await step('resend: emails.send with text, html, attachment, cc, bcc and tags; { id }', async () => {
  const { data, error } = await resend.emails.send(email);
  assert.equal(error, null, JSON.stringify(error));
  assert.match(data.id, /^[0-9a-f-]{36}$/);
  sentId = data.id;
  await checkArrived({
    id: data.id, from: 'sender@app.test', to: email.to, cc: email.cc, bcc: email.bcc, subject: email.subject, text: email.text, html: email.html,
    header: ['X-Compat-Check', 'resend'], attachment: { filename: 'report.bin', contentType: 'application/octet-stream', bytes },
    tags: [], metadata: { order: '1042', run },
  });
});

await step('resend: emails.get shows the email; another account\'s key gets not_found', async () => {
  const { data, error } = await resend.emails.get(sentId);
  assert.equal(error, null, JSON.stringify(error));
  assert.equal(data.object, 'email');
  assert.equal(data.id, sentId);
  assert.equal(data.subject, email.subject);
  assert.equal(data.last_event, 'delivered');
  const other = new Resend(await otherAccountKey(unique('resend-other')), { baseUrl: BASE_URL });
  const foreign = await other.emails.get(sentId);
  assert.equal(foreign.data, null);
  assert.equal(foreign.error.statusCode, 404);
  assert.equal(foreign.error.name, 'not_found');
});

await step('resend: a wrong key is invalid_api_key (403)', async () => {
  const wrong = new Resend('ea_not_a_real_key_0000000000000000000000', { baseUrl: BASE_URL });
  const { data, error } = await wrong.emails.send(email);
  assert.equal(data, null);
  assert.equal(error.statusCode, 403);
  assert.equal(error.name, 'invalid_api_key');
});

await step('resend: an invalid address is validation_error (422) naming the field', async () => {
  const { data, error } = await resend.emails.send({ ...email, to: 'not-an-address', cc: undefined, bcc: undefined });
  assert.equal(data, null);
  assert.equal(error.statusCode, 422);
  assert.equal(error.name, 'validation_error');
  assert.match(error.message, /`to\[0\]`.*not-an-address/);
});

await step('resend: a suppressed recipient is accepted and shows last_event suppressed, as Resend does', async () => {
  const blocked = `${run}-blocked@ok.test`;
  await suppress(blocked);
  const { data, error } = await resend.emails.send({ ...email, to: blocked, cc: undefined, bcc: undefined });
  assert.equal(error, null, JSON.stringify(error));
  const got = await resend.emails.get(data.id);
  assert.equal(got.data.last_event, 'suppressed');
});

await step('resend: the same Idempotency-Key returns the same id; with another payload it is invalid_idempotent_request (409)', async () => {
  const key = unique('idem');
  const one = { ...email, to: `${run}-idem@ok.test`, cc: undefined, bcc: undefined };
  const first = await resend.emails.send(one, { idempotencyKey: key });
  const again = await resend.emails.send(one, { idempotencyKey: key });
  assert.equal(first.error, null, JSON.stringify(first.error));
  assert.equal(again.data.id, first.data.id);
  const changed = await resend.emails.send({ ...one, subject: 'changed' }, { idempotencyKey: key });
  assert.equal(changed.error.statusCode, 409);
  assert.equal(changed.error.name, 'invalid_idempotent_request');
  const list = await api('GET', `/v1/messages?recipient=${encodeURIComponent(`${run}-idem@ok.test`)}`);
  assert.equal(list.json.items.length, 1);
});

await step('resend: batch.send queues each email and answers their ids', async () => {
  const { data, error } = await resend.batch.send([
    { ...email, to: `${run}-b1@ok.test`, cc: undefined, bcc: undefined, subject: 'batch one' },
    { ...email, to: `${run}-b2@ok.test`, cc: undefined, bcc: undefined, subject: 'batch two' },
  ]);
  assert.equal(error, null, JSON.stringify(error));
  assert.equal(data.data.length, 2);
  assert.equal((await api('GET', `/v1/messages/${data.data[1].id}`)).json.subject, 'batch two');
});

await step('resend: template is refused (422 validation_error) naming the field', async () => {
  const { error } = await resend.emails.send({ ...email, template: { id: 'welcome' } });
  assert.equal(error.statusCode, 422);
  assert.match(error.message, /`template`/);
});

finish();
