using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EmailApi.Hosting;

/// <summary>
/// Document-wide parts: the server (relative, so Swagger UI and clients call the instance that served
/// the document) and a description for each tag.
/// </summary>
internal sealed class DocumentDetailsFilter : IDocumentFilter
{
    private static readonly (string Name, string Description)[] Tags =
    [
        ("Accounts", "Accounts with their limits and sender domains, and their API keys (the admin scope), and the caller's own account."),
        ("Domains", "Sending domains: the DKIM keys the service makes for them, the DNS records to publish and their checked status, key rotation; the relay's own HELO and reverse DNS (admin)."),
        ("Inbound", "Reports that came back to the relay's return path: bounces (RFC 3464 and plain text), complaints (RFC 5965), auto-replies and mailed unsubscribes, with what each changed (admin)."),
        ("Messages", "The message log: each message's recipients, their delivery status and the event timeline; cancelling a scheduled send."),
        ("Sending", "Queueing messages: built from JSON, in batches, or as a complete MIME message. 202 follows the durable commit."),
        ("Suppressions", "Addresses the account no longer mails: hard bounces and the account's own additions."),
        ("SendGrid", "SendGrid's v3 mail send, for the official SendGrid SDKs: the EmailApi key as 'Authorization: Bearer'. Errors in SendGrid's shape; see docs/compat.md."),
        ("Postmark", "Postmark's email and batch endpoints, for the official Postmark SDKs: the EmailApi key as X-Postmark-Server-Token. Errors with Postmark's ErrorCode; see docs/compat.md."),
        ("Mailgun", "Mailgun's messages endpoint, for the official Mailgun SDKs: HTTP Basic with user 'api' and the EmailApi key as password. See docs/compat.md."),
        ("Resend", "Resend's emails endpoints, for the official Resend SDKs: the EmailApi key as 'Authorization: Bearer'. Errors as {statusCode, message, name}; see docs/compat.md."),
        ("Webhooks", "Endpoints that receive message events, signed as Standard Webhooks."),
    ];

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        document.Servers = [new OpenApiServer { Url = "/", Description = "The instance serving this document" }];
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
    }
}
