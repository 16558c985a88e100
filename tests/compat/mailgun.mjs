// mailgun.js 14 with form-data 4, unchanged, against POST /v3/{domain}/messages (url option, Basic api:KEY).
import assert from 'node:assert/strict';
import formData from 'form-data';
import Mailgun from 'mailgun.js';
import { API_KEY, BASE_URL, HELO, api, binaryAttachment, checkArrived, finish, step, suppress, unique } from './lib.mjs';

const mailgun = new Mailgun(formData);
const mg = mailgun.client({ username: 'api', key: API_KEY, url: BASE_URL });

const run = unique('mg');
const bytes = binaryAttachment();
const message = {
  from: 'Compat Mailgun <sender@app.test>',
  to: [`${run}-to@ok.test`],
  cc: `${run}-cc@ok.test`,
  bcc: `${run}-bcc@ok.test`,
  subject: `Mailgun SDK ${run} — grüße`,
  text: 'Plain part: äöü €\nsecond line',
  html: '<p>HTML part: <b>äöü €</b></p>',
  attachment: [{ filename: 'report.bin', data: bytes, contentType: 'application/octet-stream' }],
  'o:tag': ['compat', 'mailgun'],
  'h:X-Compat-Check': 'mailgun',
  'h:Reply-To': 'replies@app.test',
  'v:order': '1042',
  'v:run': run,
};

const idOf = answer => answer.id.replace(/^</, '').replace(new RegExp(`@${HELO}>$`), '');

await step('mailgun: messages.create (multipart) with text, html, attachment, cc, bcc, o:tag, h: and v:; "Queued. Thank you."', async () => {
  const answer = await mg.messages.create('app.test', message);
  assert.equal(answer.status, 200);
  assert.equal(answer.message, 'Queued. Thank you.');
  assert.match(answer.id, new RegExp(`^<[0-9a-f-]{36}@${HELO}>$`));
  await checkArrived({
    id: idOf(answer), from: 'sender@app.test', to: message.to, cc: [message.cc], bcc: [message.bcc], subject: message.subject, text: message.text,
    html: message.html, header: ['X-Compat-Check', 'mailgun'], attachment: { filename: 'report.bin', contentType: 'application/octet-stream', bytes },
    tags: ['compat', 'mailgun'], metadata: { order: '1042', run },
  });
});

await step('mailgun: messages.create with a MIME message goes to messages.mime and arrives as built, bcc by envelope only', async () => {
  const boundary = 'mixed-' + run, alt = 'alt-' + run;
  const mime = [
    'From: Compat Mailgun <sender@app.test>', `To: ${run}-mime-to@ok.test`, `Cc: ${run}-mime-cc@ok.test`, `Subject: ${message.subject} (MIME)`,
    'X-Compat-Check: mailgun-mime', 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`, '',
    `--${boundary}`, `Content-Type: multipart/alternative; boundary="${alt}"`, '',
    `--${alt}`, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from(message.text).toString('base64'),
    `--${alt}`, 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from(message.html).toString('base64'),
    `--${alt}--`,
    `--${boundary}`, 'Content-Type: application/octet-stream', 'Content-Disposition: attachment; filename="report.bin"', 'Content-Transfer-Encoding: base64', '',
    bytes.toString('base64').replace(/.{76}/g, '$&\r\n'),
    `--${boundary}--`, '',
  ].join('\r\n');
  const answer = await mg.messages.create('app.test', {
    to: [`${run}-mime-to@ok.test`, `${run}-mime-cc@ok.test`, `${run}-mime-bcc@ok.test`], message: mime, 'o:tag': 'mime', 'v:order': '1042', 'v:run': run,
  });
  assert.equal(answer.message, 'Queued. Thank you.');
  await checkArrived({
    id: idOf(answer), from: 'sender@app.test', to: [`${run}-mime-to@ok.test`], cc: [`${run}-mime-cc@ok.test`], bcc: [`${run}-mime-bcc@ok.test`],
    subject: `${message.subject} (MIME)`, text: message.text, html: message.html, header: ['X-Compat-Check', 'mailgun-mime'],
    attachment: { filename: 'report.bin', contentType: 'application/octet-stream', bytes }, tags: ['mime'], metadata: { order: '1042', run },
  });
});

await step('mailgun: a wrong key is a 401 "Forbidden"', async () => {
  const wrong = mailgun.client({ username: 'api', key: 'ea_not_a_real_key_0000000000000000000000', url: BASE_URL });
  await assert.rejects(wrong.messages.create('app.test', message), e => {
    assert.equal(e.status, 401);
    assert.match(JSON.stringify(e.details ?? e.message), /Forbidden/);
    return true;
  });
});

await step('mailgun: an invalid address is a 400 with Mailgun\'s message', async () => {
  await assert.rejects(mg.messages.create('app.test', { ...message, to: 'not-an-address@', cc: undefined, bcc: undefined }), e => {
    assert.equal(e.status, 400);
    assert.match(e.details, /to parameter is not a valid address/);
    return true;
  });
});

await step('mailgun: a suppressed recipient is accepted and recorded as suppressed, as Mailgun drops it', async () => {
  const blocked = `${run}-blocked@ok.test`;
  await suppress(blocked);
  const answer = await mg.messages.create('app.test', { ...message, to: blocked, cc: undefined, bcc: undefined });
  assert.equal(answer.status, 200);
  const view = await api('GET', `/v1/messages/${idOf(answer)}`);
  assert.equal(view.json.recipients[0].status, 'suppressed');
});

await step('mailgun: o:testmode answers as if queued and stores nothing', async () => {
  const answer = await mg.messages.create('app.test', { ...message, 'o:testmode': 'yes' });
  assert.equal(answer.message, 'Queued. Thank you.');
  assert.equal((await api('GET', `/v1/messages/${idOf(answer)}`)).status, 404);
});

await step('mailgun: template is refused with 400 naming the parameter', async () => {
  await assert.rejects(mg.messages.create('app.test', { ...message, template: 'welcome' }), e => {
    assert.equal(e.status, 400);
    assert.match(e.details, /'template'/);
    return true;
  });
});

finish();
