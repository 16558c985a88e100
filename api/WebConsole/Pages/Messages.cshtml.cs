using System.Globalization;
using EmailApi.Messages;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace EmailApi.WebConsole.Pages;

/// <summary>The message log: the API's list handler with the same filters, cursor pages and limits.</summary>
public sealed class MessagesModel(IMessageLog log, IOptions<ConsoleOptions> options) : ConsolePage
{
    public static readonly string[] StatusNames = Enum.GetValues<RecipientStatus>().Select(s => s.ToDb()).ToArray();
    private const int PageSize = 50;

    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public string? Recipient { get; set; }
    [BindProperty(SupportsGet = true)] public string? Tag { get; set; }
    [BindProperty(SupportsGet = true)] public string? Source { get; set; }
    [BindProperty(SupportsGet = true)] public string? Since { get; set; }
    [BindProperty(SupportsGet = true)] public string? Until { get; set; }
    [BindProperty(SupportsGet = true)] public string? Cursor { get; set; }

    public IReadOnlyList<MessageListItem> Items { get; private set; } = [];
    public string? Next { get; private set; }
    public int RefreshSeconds => options.Value.RefreshSeconds;

    public async Task OnGetAsync(CancellationToken ct)
    {
        Status = Blank(Status);
        Recipient = Blank(Recipient);
        Tag = Blank(Tag);
        Source = Blank(Source);
        var since = Time(Since, "From");
        var until = Time(Until, "Until");
        if (ViewData["Error"] is not null) return;
        var result = await ListMessagesEndpoint.HandleAsync(User, log, Status, Recipient, Tag, Source, since, until, Blank(Cursor), PageSize, ct);
        if (!Succeeded(result.Result)) return;
        var page = ((Ok<MessagePage>)result.Result).Value!;
        Items = page.Items;
        Next = page.Next;
    }

    public string PageUrl(string? cursor)
    {
        var query = new Dictionary<string, string?>
        {
            ["status"] = Status, ["recipient"] = Recipient, ["tag"] = Tag, ["source"] = Source,
            ["since"] = Blank(Since), ["until"] = Blank(Until), ["cursor"] = cursor,
        };
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/console/messages", query.Where(q => q.Value is not null)!);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // The browser's datetime-local field has no zone: the console speaks UTC throughout.
    private DateTimeOffset? Time(string? value, string field)
    {
        if (Blank(value) is not { } text) return null;
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            return new DateTimeOffset(at, TimeSpan.Zero);
        Error($"'{field}' must be a date and time, e.g. 2026-01-31T14:00.");
        return null;
    }
}
