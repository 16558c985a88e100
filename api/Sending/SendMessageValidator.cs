using System.Buffers.Text;
using EmailApi.Mail;
using EmailApi.Unsubscribe;
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

    private static readonly HashSet<string> UnsubscribeHeaders = new(StringComparer.OrdinalIgnoreCase) { "List-Unsubscribe", "List-Unsubscribe-Post" };

    public static readonly TimeSpan MaxSchedule = TimeSpan.FromDays(30);

    // Every string that ends up in the header block is bounded, so that composing, signing and relaying
    // a message costs time in proportion to its size: MimeKit's folding and encoding of one field of
    // a few megabytes took minutes of CPU. RFC 5322 §2.1.1 allows 998 characters per line; a display
    // name or file name is one word of it, so a quarter of that is plenty.
    public const int MaxSubject = 998;
    public const int MaxDisplayName = 256;
    public const int MaxFilename = 255;
    public const int MaxMimeParameter = 256;      // contentType, contentId
    public const int MaxCustomHeaders = 50;
    public const int MaxHeaderValue = 998;
    public const int MaxTags = TagRules.MaxTags;
    public const int MaxTagLength = TagRules.MaxTagLength;
    public const int MaxMetadata = 50;
    public const int MaxMetadataKey = 128;
    public const int MaxMetadataValue = 1024;

    public SendMessageValidator(IOptions<SendingOptions> options, IOptions<PublicUrlOptions> http, TimeProvider clock)
    {
        var maxRecipients = options.Value.MaxRecipients;

        RuleFor(r => r.SendAt).Must(t => t <= clock.GetUtcNow() + MaxSchedule).When(r => r.SendAt is not null)
            .WithMessage($"'sendAt' must be at most {MaxSchedule.TotalDays:0} days ahead.").OverridePropertyName("sendAt");

        RuleFor(r => r.From).NotNull().WithMessage("'from' is required.").OverridePropertyName("from");
        RuleFor(r => r.From!.Email).Must(AddressRules.IsValid).When(r => r.From is not null)
            .WithMessage(r => $"'{Shown(r.From!.Email)}' is not a valid email address.").OverridePropertyName("from");
        RuleFor(r => r.From!.Name).Must(n => IsOneLine(n!) && n!.Length <= MaxDisplayName).When(r => r.From?.Name is not null)
            .WithMessage(NameRule).OverridePropertyName("from");

        RuleFor(r => r).Must(r => Count(r) > 0).WithMessage("At least one recipient is required in 'to', 'cc' or 'bcc'.").OverridePropertyName("to");
        RuleFor(r => r).Must(r => Count(r) <= maxRecipients)
            .WithMessage(r => $"At most {maxRecipients} recipients in total ('to', 'cc' and 'bcc'); got {Count(r)}.").OverridePropertyName("to");
        // RFC 8058 §3.1: the link must identify the recipient, so one message carries one recipient's link.
        RuleFor(r => r).Must(r => Count(r) == 1).When(r => r.Unsubscribe == true)
            .WithMessage(r => $"'unsubscribe' needs exactly one recipient, since each gets a link of their own; got {Count(r)}. Send one message per recipient (POST /v1/send/batch).")
            .OverridePropertyName("unsubscribe");
        RuleFor(r => r).Must(_ => http.Value.Base is not null).When(r => r.Unsubscribe == true)
            .WithMessage("'unsubscribe' needs the service's public address: the operator has to set Http:PublicBaseUrl.").OverridePropertyName("unsubscribe");
        RuleForEach(r => r.Headers).Must(h => !UnsubscribeHeaders.Contains(h.Key)).When(r => r.Unsubscribe == true)
            .WithMessage("With 'unsubscribe' the service sets List-Unsubscribe and List-Unsubscribe-Post itself.").OverridePropertyName("headers");
        AddressesRule(r => r.To, "to");
        AddressesRule(r => r.Cc, "cc");
        AddressesRule(r => r.Bcc, "bcc");
        AddressesRule(r => r.ReplyTo, "replyTo");

        RuleFor(r => r.Subject).Must(s => IsOneLine(s!)).When(r => r.Subject is not null)
            .WithMessage("The subject must be one line, without CR, LF, NUL or other control characters.").OverridePropertyName("subject");
        RuleFor(r => r.Subject).MaximumLength(MaxSubject).WithMessage($"The subject must be at most {MaxSubject} characters.").OverridePropertyName("subject");
        RuleFor(r => r).Must(r => !string.IsNullOrEmpty(r.Text) || !string.IsNullOrEmpty(r.Html))
            .WithMessage("At least one of 'text' or 'html' is required.").OverridePropertyName("text");
        // Line breaks in the bodies are made CRLF by the composer; NUL has no place in text (RFC 5322 §2.3).
        RuleFor(r => r.Text).Must(t => !t!.Contains('\0')).When(r => r.Text is not null).WithMessage("'text' must not contain NUL characters.").OverridePropertyName("text");
        RuleFor(r => r.Html).Must(t => !t!.Contains('\0')).When(r => r.Html is not null).WithMessage("'html' must not contain NUL characters.").OverridePropertyName("html");

        RuleFor(r => r.Headers).Must(h => h!.Count <= MaxCustomHeaders).When(r => r.Headers is not null)
            .WithMessage($"At most {MaxCustomHeaders} headers.").OverridePropertyName("headers");
        RuleForEach(r => r.Headers).Must(h => IsHeaderName(h.Key))
            .WithMessage((_, h) => $"'{Shown(h.Key)}' is not a valid header name.").OverridePropertyName("headers");
        RuleForEach(r => r.Headers).Must(h => !OwnedHeaders.Contains(h.Key))
            .WithMessage((_, h) => $"The header '{h.Key}' is set by the service; use the matching field instead.").OverridePropertyName("headers");
        RuleForEach(r => r.Headers).Must(h => h.Value is not null && IsOneLine(h.Value) && h.Value.Length <= MaxHeaderValue)
            .WithMessage((_, h) => $"The value of header '{Shown(h.Key)}' must be a string of at most {MaxHeaderValue} characters on one line, without control characters.")
            .OverridePropertyName("headers");

        RuleForEach(r => r.Attachments).NotNull().WithMessage("An attachment must be an object, not null.").OverridePropertyName("attachments");
        RuleForEach(r => r.Attachments).ChildRules(a =>
        {
            a.RuleFor(x => x.Filename).NotEmpty().WithMessage("'filename' is required.")
                .Must(f => f is null || (IsOneLine(f) && f.Length <= MaxFilename))
                .WithMessage($"'filename' must be at most {MaxFilename} characters on one line, without control characters.").OverridePropertyName("filename");
            a.RuleFor(x => x.Content).NotNull().WithMessage("'content' (base64) is required.")
                .Must(c => Base64.IsValid(c!)).When(x => x.Content is not null).WithMessage("'content' is not valid base64.").OverridePropertyName("content");
            a.RuleFor(x => x.ContentType).Must(t => t!.Length <= MaxMimeParameter && IsOneLine(t) && ContentType.TryParse(t, out _) && t.Contains('/'))
                .When(x => x.ContentType is not null).WithMessage("'contentType' must be a MIME type such as 'application/pdf'.").OverridePropertyName("contentType");
            a.RuleFor(x => x.ContentId).Must(id => id!.Length <= MaxMimeParameter && IsOneLine(id) && !id.Any(c => c is '<' or '>' or ' '))
                .When(x => x.ContentId is not null).WithMessage("'contentId' must be a bare id such as 'logo@example.com'.").OverridePropertyName("contentId");
        }).OverridePropertyName("attachments");

        RuleFor(r => r.Tags).Must(t => t!.Count <= MaxTags).When(r => r.Tags is not null).WithMessage($"At most {MaxTags} tags.").OverridePropertyName("tags");
        RuleForEach(r => r.Tags).Must(t => t is { Length: > 0 and <= MaxTagLength } && IsOneLine(t))
            .WithMessage($"Each tag must be 1 to {MaxTagLength} characters on one line, without control characters.").OverridePropertyName("tags");
        RuleFor(r => r.Metadata).Must(m => m!.Count <= MaxMetadata && m.All(kv => kv.Key.Length is > 0 and <= MaxMetadataKey && !kv.Key.Contains('\0')
                && (kv.Value?.Length ?? 0) <= MaxMetadataValue && !(kv.Value?.Contains('\0') ?? false)))
            .When(r => r.Metadata is not null)
            .WithMessage($"At most {MaxMetadata} metadata entries, keys of 1 to {MaxMetadataKey} characters, values up to {MaxMetadataValue}, without NUL.")
            .OverridePropertyName("metadata");
    }

    private void AddressesRule(System.Linq.Expressions.Expression<Func<SendMessageRequest, IEnumerable<AddressInput>?>> list, string name)
    {
        RuleForEach<AddressInput>(list!).NotNull().WithMessage("An address must be a string or an object, not null.").OverridePropertyName(name);
        RuleForEach<AddressInput>(list!).Must(a => a is null || AddressRules.IsValid(a.Email))
            .WithMessage((_, a) => $"'{Shown(a.Email)}' is not a valid email address.").OverridePropertyName(name);
        RuleForEach<AddressInput>(list!).Must(a => a?.Name is null || (IsOneLine(a.Name) && a.Name.Length <= MaxDisplayName))
            .WithMessage(NameRule).OverridePropertyName(name);
    }

    private const string NameRule = "A display name must be at most 256 characters on one line, without control characters.";

    private static int Count(SendMessageRequest r) => (r.To?.Count ?? 0) + (r.Cc?.Count ?? 0) + (r.Bcc?.Count ?? 0);

    /// <summary>No C0 control character but HT, and no DEL: CR and LF would start a header of the client's choosing, NUL ends strings elsewhere.</summary>
    internal static bool IsOneLine(string value) => !value.AsSpan().ContainsAnyInRange('\0', '\u0008') && !value.AsSpan().ContainsAnyInRange('\n', '\u001f') && !value.Contains('\u007f');

    // An invalid value is echoed in the problem, but not a megabyte of it.
    private static string Shown(string? value) => value is { Length: > 80 } ? value[..80] + "…" : value ?? "";

    // RFC 5322 §2.2: printable US-ASCII except the colon.
    private static bool IsHeaderName(string name) => name.Length is > 0 and <= 76 && name.All(c => c is >= '!' and <= '~' and not ':');
}
