// @sendgrid/mail 8, unchanged, against POST /v3/mail/send (base URL set through the client's default request).
import assert from 'node:assert/strict';
import sgMail from '@sendgrid/mail';
import sgClient from '@sendgrid/client';
import { API_KEY, BASE_URL, api, binaryAttachment, checkArrived, finish, step, suppress, unique } from './lib.mjs';

// setApiKey resets the base URL to SendGrid's, so the base URL is set after the key, every time.
function useKey(key) {
  sgMail.setApiKey(key);
  sgClient.setDefaultRequest('baseUrl', BASE_URL);
}
sgMail.setClient(sgClient);
useKey(API_KEY);

const run = unique('sg');
const bytes = binaryAttachment();
const message = {
  from: { email: 'sender@app.test', name: 'Compat SendGrid' },
  to: [`${run}-to@ok.test`],
  cc: [`${run}-cc@ok.test`],
  bcc: [`${run}-bcc@ok.test`],
  replyTo: 'replies@app.test',
  subject: `SendGrid SDK ${run} — grüße`,
  text: 'Plain part: äöü €\nsecond line',
  html: '<p>HTML part: <b>äöü €</b></p>',
  attachments: [{ content: bytes.toString('base64'), filename: 'report.bin', type: 'application/octet-stream', disposition: 'attachment' }],
  categories: ['compat', 'sendgrid'],
  customArgs: { order: '1042', run },
  headers: { 'X-Compat-Check': 'sendgrid' },
};

await step('sendgrid: send with text, html, attachment, cc, bcc, categories and custom_args; 202 with X-Message-Id', async () => {
  const [response, body] = await sgMail.send(message);
  assert.equal(response.statusCode, 202);
  assert.equal(body, '');
  const id = response.headers['x-message-id'];
  assert.match(id ?? '', /^[0-9a-f-]{36}$/);
  await checkArrived({
    id, from: 'sender@app.test', to: message.to, cc: message.cc, bcc: message.bcc, subject: message.subject, text: message.text,
    html: message.html, header: ['X-Compat-Check', 'sendgrid'], attachment: { filename: 'report.bin', contentType: 'application/octet-stream', bytes },
    tags: ['compat', 'sendgrid'], metadata: { order: '1042', run },
  });
});

await step('sendgrid: a wrong key is a 401 ResponseError with SendGrid\'s errors array', async () => {
  useKey('ea_not_a_real_key_0000000000000000000000');
  try {
    await assert.rejects(sgMail.send(message), e => {
      assert.equal(e.code, 401);
      assert.equal(e.response.body.errors[0].message, 'The provided authorization grant is invalid, expired, or revoked');
      return true;
    });
  } finally {
    useKey(API_KEY);
  }
});

await step('sendgrid: an invalid address is a 400 naming personalizations.0.to.0', async () => {
  await assert.rejects(sgMail.send({ ...message, to: 'not-an-address', cc: [], bcc: [] }), e => {
    assert.equal(e.code, 400);
    assert.equal(e.response.body.errors[0].field, 'personalizations.0.to.0');
    assert.match(e.response.body.errors[0].message, /not-an-address/);
    return true;
  });
});

await step('sendgrid: a suppressed recipient is accepted (202) and recorded as suppressed, as SendGrid drops it', async () => {
  const blocked = `${run}-blocked@ok.test`;
  await suppress(blocked);
  const [response] = await sgMail.send({ ...message, to: [blocked], cc: [], bcc: [] });
  assert.equal(response.statusCode, 202);
  const view = await api('GET', `/v1/messages/${response.headers['x-message-id']}`);
  assert.equal(view.json.recipients[0].status, 'suppressed');
});

await step('sendgrid: template_id is refused with 400 naming the field', async () => {
  await assert.rejects(sgMail.send({ ...message, templateId: 'd-123' }), e => {
    assert.equal(e.code, 400);
    assert.equal(e.response.body.errors[0].field, 'template_id');
    return true;
  });
});

await step('sendgrid: sandbox mode validates and answers 200 without sending', async () => {
  const before = (await api('GET', `/v1/messages?recipient=${encodeURIComponent(message.to[0])}`)).json.items.length;
  const [response] = await sgMail.send({ ...message, mailSettings: { sandboxMode: { enable: true } } });
  assert.equal(response.statusCode, 200);
  const after = (await api('GET', `/v1/messages?recipient=${encodeURIComponent(message.to[0])}`)).json.items.length;
  assert.equal(after, before);
});

await step('sendgrid: two personalizations become two messages, each with its own subject and custom_args', async () => {
  const [response] = await sgMail.send({
    ...message, cc: undefined, bcc: undefined, to: undefined,
    personalizations: [
      { to: [{ email: `${run}-p1@ok.test` }], subject: 'first', customArgs: { who: 'one' } },
      { to: [{ email: `${run}-p2@ok.test` }], subject: 'second', customArgs: { who: 'two' } },
    ],
  });
  assert.equal(response.statusCode, 202);
  const list = await api('GET', `/v1/messages?recipient=${encodeURIComponent(`${run}-p2@ok.test`)}`);
  assert.equal(list.json.items.length, 1);
  assert.equal(list.json.items[0].subject, 'second');
  const view = await api('GET', `/v1/messages/${list.json.items[0].id}`);
  assert.equal(view.json.metadata.who, 'two');
  assert.equal(view.json.metadata.order, '1042');
});

finish();
