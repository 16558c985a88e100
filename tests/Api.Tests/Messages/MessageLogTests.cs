using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EmailApi.Messages;
using EmailApi.Queue;
using EmailApi.Storage;
using EmailApi.Tests.Accounts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Messages;

public sealed class MessageLogTests : IDisposable
{
    private readonly TestApp _app = new(new() { ["Domains:RequireVerified"] = "false" });   // these tests are about other rules: any From domain
    private readonly AdminApi _admin;

    public MessageLogTests() => _admin = new AdminApi(_app);

    public void Dispose() => _app.Dispose();

    private static async Task<string> IdOf(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString()!;
    }

    private static async Task<(string[] Ids, string? Next)> PageAsync(HttpClient client, string query)
    {
        var page = await TestApp.ReadJsonAsync(await client.GetAsync($"/v1/messages{query}"));
        return (page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray(),
            page.GetProperty("next").GetString());
    }

    [Fact]
    public async Task List_NewestFirst_WithFilters()
    {
        var account = await _admin.CreateAccountAsync("shop");
        var welcome = await IdOf(await account.SendAsync(new { from = "a@example.com", to = "Alice@Example.org", text = "x", tags = new[] { "welcome" } }));
        var receipt = await IdOf(await account.SendAsync(new { from = "a@example.com", to = new[] { "bob@example.org", "carol@example.org" }, text = "x", tags = new[] { "receipt" } }));

        Assert.Equal([receipt, welcome], (await PageAsync(account.Client, "")).Ids);
        Assert.Equal([welcome], (await PageAsync(account.Client, "?tag=welcome")).Ids);
        Assert.Equal([welcome], (await PageAsync(account.Client, "?recipient=alice@example.org")).Ids);
        Assert.Equal([receipt], (await PageAsync(account.Client, "?recipient=carol@example.org&status=queued")).Ids);
        Assert.Equal([receipt, welcome], (await PageAsync(account.Client, "?status=queued&source=api")).Ids);
        Assert.Empty((await PageAsync(account.Client, "?status=delivered")).Ids);
        Assert.Empty((await PageAsync(account.Client, "?source=smtp")).Ids);
        var item = (await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/messages?tag=receipt"))).GetProperty("items")[0];
        Assert.Equal("queued", item.GetProperty("status").GetString());
        Assert.Equal(2, item.GetProperty("recipients").GetArrayLength());
    }

    [Fact]
    public async Task List_SinceUntil_BoundByAcceptanceTime()
    {
        var account = await _admin.CreateAccountAsync("shop");
        var first = await IdOf(await account.SendAsync(TestAccount.Message()));
        await Task.Delay(20);
        var middle = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var second = await IdOf(await account.SendAsync(TestAccount.Message()));

        Assert.Equal([second], (await PageAsync(account.Client, $"?since={Uri.EscapeDataString(middle.ToString("O"))}")).Ids);
        Assert.Equal([first], (await PageAsync(account.Client, $"?until={Uri.EscapeDataString(middle.ToString("O"))}")).Ids);
    }

    [Fact]
    public async Task Pagination_WhileNewMessagesArrive_HasNoGapsOrRepeats()
    {
        var account = await _admin.CreateAccountAsync("shop");
        var original = new List<string>();
        for (var i = 0; i < 25; i++) original.Add(await IdOf(await account.SendAsync(TestAccount.Message())));

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var (ids, next) = await PageAsync(account.Client, cursor is null ? "?limit=7" : $"?limit=7&cursor={cursor}");
            seen.AddRange(ids);
            cursor = next;
            await account.SendAsync(TestAccount.Message());   // arrives between pages
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(original), seen);
    }

    [Fact]
    public async Task List_MessagesAcceptedInOneMillisecond_InAcceptanceOrder()
    {
        // The clock stands still: every message is accepted in the same millisecond, the case that
        // made this log's order (and the pagination test above) depend on random bits of the id.
        using var app = new TestApp(new() { ["Domains:RequireVerified"] = "false" }, clock: new FakeTimeProvider(DateTimeOffset.UtcNow));
        var account = await new AdminApi(app).CreateAccountAsync("shop");
        var accepted = new List<string>();
        for (var i = 0; i < 40; i++) accepted.Add(await IdOf(await account.SendAsync(TestAccount.Message())));

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var (ids, next) = await PageAsync(account.Client, cursor is null ? "?limit=9" : $"?limit=9&cursor={cursor}");
            seen.AddRange(ids);
            cursor = next;
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(accepted), seen);
    }

    [Theory]
    [InlineData("?status=lost", "status")]
    [InlineData("?source=fax", "source")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?cursor=@@@", "cursor")]
    public async Task List_BadQuery_Returns400(string query, string field)
    {
        var response = await _app.Authorized().GetAsync($"/v1/messages{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApp.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData("delivered", null, null, null)]
    [InlineData(null, "a@example.org", null, null)]
    [InlineData(null, null, "welcome", null)]
    [InlineData(null, null, null, "smtp")]
    [InlineData("bounced", null, "welcome", "api")]
    public void QueryPlan_CommonFilters_UseAnIndexAndNeverSortOrScanATable(string? status, string? recipient, string? tag, string? source)
    {
        var filter = new MessageFilter(status is null ? null : RecipientStatusNames.FromDb(status), recipient, tag,
            source is null ? null : Enum.Parse<MessageSource>(source, ignoreCase: true), DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow);
        var (sql, args) = SqlMessageLog.BuildQuery(new SqliteDialect(null!), "acct", filter, new MessageId(Guid.CreateVersion7()), 50);
        using var connection = _app.Services.GetRequiredService<SqliteDb>().Open();

        var plan = string.Join("\n", Dapper.SqlMapper.Query<(long, long, long, string)>(connection, "EXPLAIN QUERY PLAN " + sql, args).Select(r => r.Item4));

        Assert.DoesNotMatch(@"SCAN (m|d|messages|recipients|message_tags)(\s|$)", plan);
        Assert.DoesNotContain("TEMP B-TREE", plan);
    }
}
