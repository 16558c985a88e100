// postmark 5, unchanged, against POST /email and /email/batch (requestHost, useHttps: false).
import assert from 'node:assert/strict';
import { ServerClient, Errors } from 'postmark';
import { API_KEY, BASE_URL, api, binaryAttachment, checkArrived, finish, step, suppress, unique } from './lib.mjs';

const host = new URL(BASE_URL).host;
const client = new ServerClient(API_KEY, { requestHost: host, useHttps: false });

const run = unique('pm');
const bytes = binaryAttachment();
const email = {
  From: 'Compat Postmark <sender@app.test>',
  To: `Ana <${run}-to@ok.test>`,
  Cc: `${run}-cc@ok.test`,
  Bcc: `${run}-bcc@ok.test`,
  ReplyTo: 'replies@app.test',
  Subject: `Postmark SDK ${run} — grüße`,
  TextBody: 'Plain part: äöü €\nsecond line',
  HtmlBody: '<p>HTML part: <b>äöü €</b></p>',
  Headers: [{ Name: 'X-Compat-Check', Value: 'postmark' }],
  Tag: 'compat',
  Metadata: { order: '1042', run },
  Attachments: [{ Name: 'report.bin', Content: bytes.toString('base64'), ContentType: 'application/octet-stream', ContentID: null }],
  MessageStream: 'outbound',
};

await step('postmark: sendEmail with text, html, attachment, cc, bcc, tag and metadata; ErrorCode 0 with MessageID', async () => {
  const result = await client.sendEmail(email);
  assert.equal(result.ErrorCode, 0);
  assert.equal(result.Message, 'OK');
  assert.equal(result.To, `Ana <${run}-to@ok.test>`);
  assert.ok(!Number.isNaN(Date.parse(result.SubmittedAt)));
  await checkArrived({
    id: result.MessageID, from: 'sender@app.test', to: [`${run}-to@ok.test`], cc: [`${run}-cc@ok.test`], bcc: [`${run}-bcc@ok.test`],
    subject: email.Subject, text: email.TextBody, html: email.HtmlBody, header: ['X-Compat-Check', 'postmark'],
    attachment: { filename: 'report.bin', contentType: 'application/octet-stream', bytes }, tags: ['compat'], metadata: { order: '1042', run },
  });
});

await step('postmark: a wrong token is InvalidAPIKeyError (401, ErrorCode 10)', async () => {
  const wrong = new ServerClient('ea_not_a_real_key_0000000000000000000000', { requestHost: host, useHttps: false });
  await assert.rejects(wrong.sendEmail(email), e => {
    assert.ok(e instanceof Errors.InvalidAPIKeyError, e.name);
    assert.equal(e.statusCode, 401);
    assert.equal(e.code, 10);
    return true;
  });
});

await step('postmark: an invalid address is InvalidEmailRequestError (422, ErrorCode 300)', async () => {
  await assert.rejects(client.sendEmail({ ...email, To: 'not-an-address', Cc: undefined, Bcc: undefined }), e => {
    assert.ok(e instanceof Errors.InvalidEmailRequestError, e.name);
    assert.equal(e.statusCode, 422);
    assert.equal(e.code, 300);
    assert.match(e.message, /not-an-address/);
    return true;
  });
});

await step('postmark: a suppressed recipient is InactiveRecipientsError (ErrorCode 406) naming it', async () => {
  const blocked = `${run}-blocked@ok.test`;
  await suppress(blocked);
  await assert.rejects(client.sendEmail({ ...email, To: blocked, Cc: undefined, Bcc: undefined }), e => {
    assert.ok(e instanceof Errors.InactiveRecipientsError, e.name);
    assert.equal(e.code, 406);
    assert.deepEqual(e.recipients, [blocked]);
    return true;
  });
});

await step('postmark: sendEmailBatch answers one result per message, errors in place', async () => {
  const results = await client.sendEmailBatch([
    { ...email, To: `${run}-b1@ok.test`, Cc: undefined, Bcc: undefined, Subject: 'batch one' },
    { ...email, To: 'broken', Cc: undefined, Bcc: undefined },
    { ...email, To: `${run}-b3@ok.test`, Cc: undefined, Bcc: undefined, Subject: 'batch three' },
  ]);
  assert.equal(results.length, 3);
  assert.equal(results[0].ErrorCode, 0);
  assert.equal(results[1].ErrorCode, 300);
  assert.equal(results[2].ErrorCode, 0);
  const view = await api('GET', `/v1/messages/${results[2].MessageID}`);
  assert.equal(view.json.subject, 'batch three');
});

await step('postmark: TemplateId is refused (ErrorCode 300) naming the field', async () => {
  await assert.rejects(client.sendEmail({ ...email, TemplateId: 42 }), e => {
    assert.equal(e.code, 300);
    assert.match(e.message, /TemplateId/);
    return true;
  });
});

finish();
