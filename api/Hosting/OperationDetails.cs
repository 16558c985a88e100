using System.Text.Json.Nodes;

namespace EmailApi.Hosting;

/// <summary>
/// What the OpenAPI document says about an operation beyond its endpoint's metadata, by operation id:
/// a description where the endpoint has none, its parameters' descriptions, whether it honours
/// <c>Idempotency-Key</c>, and a request example. Every example must succeed when sent as it is to a
/// fresh service with the bootstrap key (OpenApiExamplesTests sends each one); <c>{id}</c> in the
/// account paths is the caller's own account.
/// </summary>
internal sealed record OperationDetails(
    string? Description,
    IReadOnlyDictionary<string, string> Parameters,
    bool Idempotent = false,
    JsonNode? Example = null)
{
    private const string MessageId = "The message id returned by POST /v1/send (or /v1/send/batch, /v1/send/raw).";
    private const string AccountId = "The account id.";
    private const string DomainId = "The domain id returned by POST /v1/domains (or listed by GET /v1/domains).";

    public static readonly IReadOnlyDictionary<string, OperationDetails> ById = new Dictionary<string, OperationDetails>
    {
        ["SendMessage"] = new(null, new Dictionary<string, string>(), Idempotent: true, Example: Json("""
            {
              "from": "Shop <shop@example.com>",
              "to": ["ana@example.org", { "email": "bo@example.net", "name": "Bo" }],
              "subject": "Your order",
              "text": "Thanks!",
              "html": "<p>Thanks!</p>",
              "attachments": [{ "filename": "invoice.pdf", "content": "JVBERi0xLjQK", "contentType": "application/pdf" }],
              "tags": ["orders"],
              "metadata": { "order": "1042" }
            }
            """)),
        ["SendBatch"] = new(null, new Dictionary<string, string>(), Idempotent: true, Example: Json("""
            {
              "messages": [
                { "from": "Shop <shop@example.com>", "to": { "email": "ana@example.org", "name": "Ana" }, "subject": "Your order", "text": "Thanks, Ana!" },
                { "from": "Shop <shop@example.com>", "to": "Bo <bo@example.net>", "subject": "Your order", "text": "Thanks, Bo!", "tags": ["orders"] }
              ]
            }
            """)),
        ["SendRawMessage"] = new(null, new Dictionary<string, string>
        {
            ["from"] = "The envelope sender (MAIL FROM); default: the address in the From header.",
            ["to"] = "An envelope recipient (RCPT TO); repeat for several. Default: the addresses in the To, Cc and Bcc headers.",
            ["tag"] = "A tag for the message log and webhooks; repeat for several (at most 20, 1 to 128 characters each).",
            ["sendAt"] = "When to deliver, as an RFC 3339 time, at most 30 days ahead; default: now.",
        }, Idempotent: true, Example: JsonValue.Create(
            "From: Shop <shop@example.com>\r\nTo: Ana <ana@example.org>\r\nSubject: Your order\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n\r\nThanks!\r\n")),

        ["SendGridMailSend"] = new("SendGrid's v3 mail send on this service's submission (docs/compat.md#sendgrid). The API key goes in " +
            "'Authorization: Bearer', as SendGrid's does. Each personalization is one message (see GET /v1/messages); all are checked before any " +
            "is stored. 202 with an empty body and X-Message-Id (the first message's id); mail_settings.sandbox_mode.enable answers 200 and sends nothing. " +
            "Errors as {\"errors\":[{\"message\",\"field\",\"help\"}]}.",
            new Dictionary<string, string>(), Example: Json("""
            {
              "personalizations": [{ "to": [{ "email": "ana@example.org", "name": "Ana" }], "custom_args": { "order": "1042" } }],
              "from": { "email": "shop@example.com", "name": "Shop" },
              "subject": "Your order",
              "content": [{ "type": "text/plain", "value": "Thanks!" }, { "type": "text/html", "value": "<p>Thanks!</p>" }],
              "categories": ["orders"]
            }
            """)),
        ["PostmarkSendEmail"] = new("Postmark's send on this service's submission (docs/compat.md#postmark). The API key goes in " +
            "X-Postmark-Server-Token. Answers {To, SubmittedAt, MessageID, ErrorCode: 0, Message: \"OK\"}; errors carry Postmark's ErrorCode " +
            "(10 bad token, 300 invalid request, 402 invalid JSON, 400/401 sender not allowed/verified, 405 not allowed to send, 406 every recipient " +
            "on the suppression list).",
            new Dictionary<string, string>(), Example: Json("""
            { "From": "Shop <shop@example.com>", "To": "Ana <ana@example.org>", "Subject": "Your order", "TextBody": "Thanks!", "HtmlBody": "<p>Thanks!</p>",
              "Tag": "orders", "Metadata": { "order": "1042" }, "MessageStream": "outbound" }
            """)),
        ["PostmarkSendBatch"] = new("Up to 500 messages, each checked and answered on its own (200 with one result per message, in order); " +
            "the API key goes in X-Postmark-Server-Token.",
            new Dictionary<string, string>(), Example: Json("""
            [
              { "From": "shop@example.com", "To": "ana@example.org", "Subject": "Your order", "TextBody": "Thanks, Ana!" },
              { "From": "shop@example.com", "To": "bo@example.net", "Subject": "Your order", "TextBody": "Thanks, Bo!", "Tag": "orders" }
            ]
            """)),
        ["MailgunSendMessage"] = new("Mailgun's messages endpoint on this service's submission (docs/compat.md#mailgun): HTTP Basic with user " +
            "'api' and the API key as password. Answers {\"id\": \"<Message-ID>\", \"message\": \"Queued. Thank you.\"}; errors as {\"message\"}, " +
            "a wrong key as a plain-text 401 'Forbidden'. o:testmode=yes checks the message and stores nothing.",
            new Dictionary<string, string> { ["domain"] = "Your sending domain, as in Mailgun; the From address decides which of the account's domains signs." },
            Example: Json("""
            { "from": "Shop <shop@example.com>", "to": "ana@example.org", "subject": "Your order", "text": "Thanks!", "o:tag": "orders" }
            """)),
        ["MailgunSendMime"] = new("Mailgun's messages.mime: the complete MIME message in the field 'message' (a file or a string), relayed as " +
            "POST /v1/send/raw relays it (the same checks; a Received trace; Bcc removed) to the envelope recipients in 'to'. HTTP Basic with user " +
            "'api' and the API key as password.",
            new Dictionary<string, string> { ["domain"] = "Your sending domain, as in Mailgun; the From header decides which of the account's domains signs." },
            Example: Json("""
            { "to": "ana@example.org", "message": "From: Shop <shop@example.com>\r\nTo: ana@example.org\r\nSubject: Your order\r\n\r\nThanks!\r\n" }
            """)),
        ["ResendSendEmail"] = new("Resend's send on this service's submission (docs/compat.md#resend): the API key in 'Authorization: Bearer'. " +
            "Answers {\"id\"}; errors as {statusCode, message, name}. An Idempotency-Key is honoured as by POST /v1/send (24 hours; the same key with " +
            "another payload is 409 invalid_idempotent_request).",
            new Dictionary<string, string>(), Example: Json("""
            { "from": "Shop <shop@example.com>", "to": ["ana@example.org"], "subject": "Your order", "text": "Thanks!", "html": "<p>Thanks!</p>",
              "tags": [{ "name": "order", "value": "1042" }] }
            """)),
        ["ResendSendBatch"] = new("Up to 100 emails in one durable commit; with 'x-batch-validation: permissive' invalid ones are answered in " +
            "'errors' and the others sent, otherwise (strict, the default) one invalid email refuses the batch.",
            new Dictionary<string, string>(), Example: Json("""
            [
              { "from": "shop@example.com", "to": "ana@example.org", "subject": "Your order", "text": "Thanks, Ana!" },
              { "from": "shop@example.com", "to": "bo@example.net", "subject": "Your order", "text": "Thanks, Bo!" }
            ]
            """)),
        ["ResendGetEmail"] = new("The email as Resend shows it, from the message log; another account's id answers 404 not_found like an unknown one.",
            new Dictionary<string, string> { ["id"] = "The id returned by POST /emails (the same as the native message id)." }),

        ["ListMessages"] = new(null, new Dictionary<string, string>
        {
            ["status"] = "Only messages with at least one recipient in this state.",
            ["recipient"] = "Only messages with this recipient address.",
            ["tag"] = "Only messages with this tag.",
            ["source"] = "Only messages that came in this way: api (HTTP), smtp (the SMTP bridge) or dsn (bounce reports the service wrote).",
            ["since"] = "Only messages created at or after this RFC 3339 time.",
            ["until"] = "Only messages created before this RFC 3339 time.",
            ["cursor"] = "The 'next' value of the previous page, unchanged; absent for the first page.",
            ["limit"] = "Messages per page, 1 to 200 (default 50).",
        }),
        ["GetMessage"] = new("The message as it stands now: its rolled-up status, each recipient's status, attempts, last SMTP reply and " +
            "next attempt, and the event timeline. A bounce or complaint that came back to the return path after delivery turns the recipient " +
            "'bounced' or 'complained' with async true, and its event carries the report (reporting MTA, status, diagnostic). " +
            "A message of another account answers 404.",
            new Dictionary<string, string> { ["id"] = MessageId }),
        ["CancelMessage"] = new(null, new Dictionary<string, string> { ["id"] = MessageId }),

        ["ListInboundReports"] = new("Newest first. A report whose token is missing, forged, names no recipient or came to another account's " +
            "return-path domain is listed with effect 'none' and kept for inspection; recipientStatus is the status a report gave its recipient.",
            new Dictionary<string, string>
            {
                ["accountId"] = "Only reports whose token named a recipient of this account.",
                ["messageId"] = "Only reports about this message.",
                ["classification"] = "Only reports of this kind: dsn, plain-bounce, complaint, auto-reply, unsubscribe or unrecognised.",
                ["cursor"] = "The 'next' value of the previous page, unchanged; absent for the first page.",
                ["limit"] = "Reports per page, 1 to 200 (default 50).",
            }),

        ["ListSuppressions"] = new("Addresses that hard-bounced (added automatically) or that the account added. Mail to them is " +
            "recorded as 'suppressed' without a delivery attempt. 100 per page.",
            new Dictionary<string, string> { ["after"] = "The 'next' value of the previous page (the last address shown); absent for the first page." }),
        ["AddSuppression"] = new("201 when the address was added, 200 when it was already on the list (the answer then shows it as sent).",
            new Dictionary<string, string>(), Example: Json("""{ "email": "no-mail@example.org", "reason": "Asked not to be mailed" }""")),
        ["RemoveSuppression"] = new("Mail to the address is delivered again from now on.",
            new Dictionary<string, string> { ["email"] = "The suppressed address (case-insensitive)." }),

        ["CreateWebhook"] = new(null, new Dictionary<string, string>(),
            Example: Json("""{ "url": "https://hooks.example.com/emailapi", "events": ["delivered", "bounced", "failed"] }""")),
        ["ListWebhooks"] = new("Every endpoint of the account, with its status: 'disabled' once it has failed for about 24 hours.",
            new Dictionary<string, string>()),
        ["DeleteWebhook"] = new("Events not yet delivered to the endpoint are dropped.",
            new Dictionary<string, string> { ["id"] = "The webhook id returned when it was created." }),

        ["GetOwnAccount"] = new("Usage counts recipients accepted in the current month, hour and minute (UTC windows).",
            new Dictionary<string, string>()),
        ["CreateAccount"] = new("Limits left out are unlimited, except the monthly quota, which defaults to Accounts:DefaultMonthlyQuota. " +
            "Empty or absent senderDomains: any sender domain. Absent unsubscribeTags: [\"broadcast\"], so a message tagged broadcast " +
            "gets one-click unsubscribe (send it to one recipient, or say \"unsubscribe\": false). Create a key for it with POST /v1/accounts/{id}/keys.",
            new Dictionary<string, string>(),
            Example: Json("""{ "name": "shop", "monthlyQuota": 100000, "perHour": 5000, "perMinute": 200, "senderDomains": ["example.com"], "unsubscribeTags": ["broadcast", "newsletter"] }""")),
        ["ListAccounts"] = new("100 per page, without usage (GET an account for it).",
            new Dictionary<string, string> { ["after"] = "The 'next' value of the previous page (the last name shown); absent for the first page." }),
        ["GetAccount"] = new("Usage counts recipients accepted in the current month, hour and minute (UTC windows).",
            new Dictionary<string, string> { ["id"] = AccountId }),
        ["UpdateAccount"] = new(null, new Dictionary<string, string> { ["id"] = AccountId },
            Example: Json("""{ "monthlyQuota": 200000, "perHour": 10000, "perMinute": 500, "unsubscribeTags": ["broadcast"] }""")),
        ["CreateKey"] = new("Scopes: send (send and cancel messages, change suppressions and webhooks), read (the message log, the account, suppressions, " +
            "webhooks) and admin (accounts and keys); "+
"default send and read. Only a hash of the key is stored: keep the key from this answer.",
            new Dictionary<string, string> { ["id"] = AccountId }, Example: Json("""{ "name": "billing-service", "scopes": ["send", "read"] }""")),
        ["ListKeys"] = new("Each key's name, scopes, creation, last use and revocation; never the key itself.",
            new Dictionary<string, string> { ["id"] = AccountId }),
        ["RevokeKey"] = new("The key stops working at once on this node, within a few seconds on the others.",
            new Dictionary<string, string> { ["id"] = AccountId, ["keyId"] = "The key id (not the key)." }),

        ["CreateDomain"] = new(null, new Dictionary<string, string>(),
            Example: Json("""{ "name": "example.com", "keyType": "rsa2048", "dmarcRua": "mailto:dmarc-reports@example.com" }""")),
        ["ListDomains"] = new("Each domain with its status, its keys (never a private key) and the DNS records to publish with the status of each " +
            "as last checked.", new Dictionary<string, string>()),
        ["GetDomain"] = new("The domain, its keys and the DNS records to publish (name, type, value) with each one's status as last checked: " +
            "notChecked, missing, mismatch (with the value found) or ok. A domain of another account answers 404.",
            new Dictionary<string, string> { ["id"] = DomainId }),
        ["VerifyDomain"] = new(null, new Dictionary<string, string> { ["id"] = DomainId }),
        ["RotateDomainKey"] = new("The new key is pending until its DKIM record is seen in DNS; signing then switches to it and the old key is listed " +
            "as retiring, with the date after which its record can be removed.", new Dictionary<string, string> { ["id"] = DomainId }),
        ["DeleteDomain"] = new("Mail from the domain is no longer signed, and with Domains:RequireVerified no longer accepted.",
            new Dictionary<string, string> { ["id"] = DomainId }),
    };

    private static JsonNode Json(string text) => JsonNode.Parse(text)!;
}
