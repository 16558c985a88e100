using System.Buffers.Text;
using FluentValidation;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailApi.Sending;

/// <summary>Checks a send request field by field; every problem is reported under the JSON name of its field.</summary>
public sealed class SendMessageValidator : AbstractValidator<SendMessageRequest>
{
    // Headers that the service writes itself; letting a client set them would break threading,
    // the envelope, or MIME structure.
    private static readonly HashSet<string> OwnedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Subject", "Date", "Message-ID", "Return-Path", "Received",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID", "DKIM-Signature",
    };

    public static readonly TimeSpan MaxSchedule = TimeSpan.FromDays(30);

    public SendMessageValidator(IOptions<SendingOptions> options, TimeProvider clock)
    {
        var maxRecipients = options.Value.MaxRecipients;

        RuleFor(r => r.SendAt).Must(t => t <= clock.GetUtcNow() + MaxSchedule).When(r => r.SendAt is not null)
            .WithMessage($"'sendAt' must be at most {MaxSchedule.TotalDays:0} days ahead.").OverridePropertyName("sendAt");

        RuleFor(r => r.From).NotNull().WithMessage("'from' is required.").OverridePropertyName("from");
        RuleFor(r => r.From!.Email).Must(AddressRules.IsValid).When(r => r.From is not null)
            .WithMessage(r => $"'{r.From!.Email}' is not a valid email address.").OverridePropertyName("from");
        RuleFor(r => r.From!.Name).Must(NoLineBreak!).When(r => r.From?.Name is not null)
            .WithMessage("The name must not contain line breaks.").OverridePropertyName("from");

        RuleFor(r => r).Must(r => Count(r) > 0).WithMessage("At least one recipient is required in 'to', 'cc' or 'bcc'.").OverridePropertyName("to");
        RuleFor(r => r).Must(r => Count(r) <= maxRecipients)
            .WithMessage(r => $"At most {maxRecipients} recipients in total ('to', 'cc' and 'bcc'); got {Count(r)}.").OverridePropertyName("to");
        AddressesRule(r => r.To, "to");
        AddressesRule(r => r.Cc, "cc");
        AddressesRule(r => r.Bcc, "bcc");
        AddressesRule(r => r.ReplyTo, "replyTo");

        RuleFor(r => r.Subject).Must(NoLineBreak!).When(r => r.Subject is not null).WithMessage("The subject must not contain line breaks.").OverridePropertyName("subject");
        RuleFor(r => r.Subject).MaximumLength(998).OverridePropertyName("subject");
        RuleFor(r => r).Must(r => !string.IsNullOrEmpty(r.Text) || !string.IsNullOrEmpty(r.Html))
            .WithMessage("At least one of 'text' or 'html' is required.").OverridePropertyName("text");

        RuleForEach(r => r.Headers).Must(h => IsHeaderName(h.Key))
            .WithMessage((_, h) => $"'{h.Key}' is not a valid header name.").OverridePropertyName("headers");
        RuleForEach(r => r.Headers).Must(h => !OwnedHeaders.Contains(h.Key))
            .WithMessage((_, h) => $"The header '{h.Key}' is set by the service; use the matching field instead.").OverridePropertyName("headers");
        RuleForEach(r => r.Headers).Must(h => h.Value is not null && NoLineBreak(h.Value))
            .WithMessage((_, h) => $"The value of header '{h.Key}' must be a string without line breaks.").OverridePropertyName("headers");

        RuleForEach(r => r.Attachments).ChildRules(a =>
        {
            a.RuleFor(x => x.Filename).NotEmpty().WithMessage("'filename' is required.")
                .Must(f => f is null || NoLineBreak(f)).WithMessage("'filename' must not contain line breaks.").OverridePropertyName("filename");
            a.RuleFor(x => x.Content).NotNull().WithMessage("'content' (base64) is required.")
                .Must(c => Base64.IsValid(c!)).When(x => x.Content is not null).WithMessage("'content' is not valid base64.").OverridePropertyName("content");
            a.RuleFor(x => x.ContentType).Must(t => ContentType.TryParse(t, out _) && t!.Contains('/') && NoLineBreak(t))
                .When(x => x.ContentType is not null).WithMessage("'contentType' must be a MIME type such as 'application/pdf'.").OverridePropertyName("contentType");
            a.RuleFor(x => x.ContentId).Must(id => NoLineBreak(id!) && !id!.Any(c => c is '<' or '>' or ' '))
                .When(x => x.ContentId is not null).WithMessage("'contentId' must be a bare id such as 'logo@example.com'.").OverridePropertyName("contentId");
        }).OverridePropertyName("attachments");

        RuleFor(r => r.Tags).Must(t => t!.Count <= 20).When(r => r.Tags is not null).WithMessage("At most 20 tags.").OverridePropertyName("tags");
        RuleForEach(r => r.Tags).Must(t => t is { Length: > 0 and <= 128 } && NoLineBreak(t))
            .WithMessage("Each tag must be 1 to 128 characters without line breaks.").OverridePropertyName("tags");
        RuleFor(r => r.Metadata).Must(m => m!.Count <= 50 && m.All(kv => kv.Key.Length is > 0 and <= 128 && (kv.Value?.Length ?? 0) <= 1024))
            .When(r => r.Metadata is not null)
            .WithMessage("At most 50 metadata entries, keys of 1 to 128 characters, values up to 1024.").OverridePropertyName("metadata");
    }

    private void AddressesRule(System.Linq.Expressions.Expression<Func<SendMessageRequest, IEnumerable<AddressInput>?>> list, string name)
    {
        RuleForEach<AddressInput>(list!).Must(a => AddressRules.IsValid(a.Email))
            .WithMessage((_, a) => $"'{a.Email}' is not a valid email address.").OverridePropertyName(name);
        RuleForEach<AddressInput>(list!).Must(a => a.Name is null || NoLineBreak(a.Name))
            .WithMessage("A display name must not contain line breaks.").OverridePropertyName(name);
    }

    private static int Count(SendMessageRequest r) => (r.To?.Count ?? 0) + (r.Cc?.Count ?? 0) + (r.Bcc?.Count ?? 0);

    private static bool NoLineBreak(string value) => value.IndexOfAny(['\r', '\n', '\0']) < 0;

    // RFC 5322 §2.2: printable US-ASCII except the colon.
    private static bool IsHeaderName(string name) => name.Length is > 0 and <= 76 && name.All(c => c is >= '!' and <= '~' and not ':');
}
