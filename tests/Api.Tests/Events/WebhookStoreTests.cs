using System.Collections.Concurrent;
using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Queue;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Events;

/// <summary>The webhook outbox on every engine: each event becomes one delivery per endpoint, whatever the number of nodes.</summary>
public abstract class WebhookStoreTests : IAsyncLifetime
{
    protected readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;

    protected StoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");
    protected string Account { get; private set; } = "";

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync()
    {
        _engine = await CreateEngineAsync(Clock);
        Account = (await Engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    protected async Task<NewMessage> SendAsync(params string[] recipients)
    {
        var message = new NewMessage(MessageId.New(Clock), Account, MessageSource.Api, "s@example.com", recipients,
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", [], null, Clock.GetUtcNow());
        await Engine.Queue.EnqueueAsync([message], CancellationToken.None);
        return message;
    }

    [Fact]
    public async Task FanOut_MakesOneDeliveryPerSubscribedEndpoint_AndSkipsOtherTypes()
    {
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/a", ["queued"], "whsec_a", CancellationToken.None);
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/b", ["delivered"], "whsec_b", CancellationToken.None);
        await SendAsync("x@one.test", "y@one.test");

        Assert.Equal(2, await Engine.Webhooks.FanOutAsync(100, CancellationToken.None));
        Assert.Equal(0, await Engine.Webhooks.FanOutAsync(100, CancellationToken.None));

        var due = await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None);
        // Per endpoint and message only the oldest pending event is due.
        var only = Assert.Single(due);
        Assert.Equal(("http://127.0.0.1:1/a", "queued", "x@one.test"), (only.Url, only.Type, only.Recipient));
        await Engine.Webhooks.RecordSuccessAsync(only, CancellationToken.None);
        var next = Assert.Single(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.Equal(("queued", "y@one.test"), (next.Type, next.Recipient));
    }

    [Fact]
    public async Task Lease_AnEventOfAnInboundReport_CarriesTheReport()
    {
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/a", ["bounced", "complained"], "whsec_a", CancellationToken.None);
        var message = await SendAsync("gone@one.test");
        var lease = await Engine.Queue.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        await Engine.Queue.RecordAsync(lease.Token, [new RecipientResult(lease.Recipients[0].Id, message.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "ok"), "mx", null)], [], CancellationToken.None);
        var sent = (await Engine.Queue.FindRecipientAsync(message.Id, lease.Recipients[0].Id, CancellationToken.None))!;
        await Engine.Queue.ApplyFeedbackAsync(new FeedbackChange(sent, "rep-1", RecipientStatus.Bounced, "550 5.1.1 unknown", """{"status":"5.1.1"}""", "bounce",
            Clock.GetUtcNow()), CancellationToken.None);

        await Engine.Webhooks.FanOutAsync(100, CancellationToken.None);   // queued, delivered, bounced: only the bounce is subscribed
        var delivery = Assert.Single(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None));

        Assert.Equal(("bounced", "gone@one.test", "550 5.1.1 unknown", """{"status":"5.1.1"}"""), (delivery.Type, delivery.Recipient, delivery.Detail, delivery.Report));
        using var body = System.Text.Json.JsonDocument.Parse(WebhookDispatcher.Body(delivery));
        var data = body.RootElement.GetProperty("data");
        Assert.Equal(("message.bounced", true, "5.1.1"), (body.RootElement.GetProperty("type").GetString(), data.GetProperty("async").GetBoolean(),
            data.GetProperty("report").GetProperty("status").GetString()));
    }

    [Fact]
    public async Task FanOut_DomainEvents_ReachTheAccountsSubscribedEndpoints_OrderedPerDomain()
    {
        var other = (await Engine.Accounts.CreateAccountAsync("b", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/domains", ["domain.verified", "domain.failed"], "whsec_a", CancellationToken.None);
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/mail", ["queued"], "whsec_b", CancellationToken.None);
        await Engine.Webhooks.CreateAsync(other, "http://127.0.0.1:1/other", ["domain.verified", "domain.failed"], "whsec_c", CancellationToken.None);
        var now = Clock.GetUtcNow();
        var domain = new SendingDomain($"dom_{Guid.NewGuid():N}", Account, "shop.test", DomainStatus.Pending, null, new Dictionary<string, DnsRecordCheck>(),
            null, now, null, null, now.AddMinutes(5), 0);
        await Engine.Domains.CreateAsync(domain, [], CancellationToken.None);
        await Engine.Domains.SaveCheckAsync(domain with { Status = DomainStatus.Verified }, [], [],
            [new DomainEvent(0, Account, domain.Id, domain.Name, "domain.verified", "published", now)], CancellationToken.None);
        await Engine.Domains.SaveCheckAsync(domain with { Status = DomainStatus.Failed }, [], [],
            [new DomainEvent(0, Account, domain.Id, domain.Name, "domain.failed", "gone", now)], CancellationToken.None);
        await SendAsync("x@one.test");

        Assert.True(await Engine.Webhooks.FanOutAsync(100, CancellationToken.None) > 0);
        var due = await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None);

        // The domain's second event waits for its first, as a message's do; the other account's endpoint gets nothing.
        Assert.Equal(["http://127.0.0.1:1/domains", "http://127.0.0.1:1/mail"], due.Select(d => d.Url).Order());
        var verified = due.Single(d => d.Url.EndsWith("/domains"));
        Assert.Equal(("domain.verified", "shop.test", domain.Id, "published"), (verified.Type, verified.Domain, verified.DomainId, verified.Detail));
        Assert.Null(due.Single(d => d.Url.EndsWith("/mail")).Domain);
        await Engine.Webhooks.RecordSuccessAsync(verified, CancellationToken.None);
        var failed = Assert.Single(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None), d => d.Url.EndsWith("/domains"));
        Assert.Equal(("domain.failed", "gone"), (failed.Type, failed.Detail));
    }

    [Fact]
    public async Task FanOut_FromSeveralNodesAtOnce_DeliversEveryEventExactlyOnce()
    {
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/a", ["queued"], "whsec_a", CancellationToken.None);
        for (var i = 0; i < 40; i++) await SendAsync($"r{i}@one.test");
        var nodes = Enumerable.Range(0, 4).Select(_ => Engine.OpenAnotherWebhookNode(Clock)).ToArray();
        var seen = new ConcurrentBag<long>();

        await Task.WhenAll(nodes.Select(node => Task.Run(async () =>
        {
            // Bounded: 40 events in batches of 3 need at most 14 fan-outs, and 40 leases.
            for (var round = 0; round < 60; round++)
            {
                await node.FanOutAsync(3, CancellationToken.None);
                foreach (var delivery in await node.LeaseAsync(5, TimeSpan.FromMinutes(5), CancellationToken.None))
                {
                    seen.Add(delivery.EventId);
                    await node.RecordSuccessAsync(delivery, CancellationToken.None);
                }
            }
        })));

        Assert.Equal(40, seen.Count);
        Assert.Equal(40, seen.Distinct().Count());
    }

    [Fact]
    public async Task Lease_HeldByOneNode_IsNotHandedToAnotherUntilItExpires()
    {
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/a", ["queued"], "whsec_a", CancellationToken.None);
        await SendAsync("x@one.test");
        await Engine.Webhooks.FanOutAsync(100, CancellationToken.None);
        var other = Engine.OpenAnotherWebhookNode(Clock);

        var first = Assert.Single(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Empty(await other.LeaseAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));
        Clock.Advance(TimeSpan.FromSeconds(31));
        var again = Assert.Single(await other.LeaseAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));

        Assert.Equal(first.EventId, again.EventId);
    }

    [Fact]
    public async Task RecordFailure_RetriesThenDisablesTheEndpointAndDropsItsPendingDeliveries()
    {
        var hook = await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/a", ["queued"], "whsec_a", CancellationToken.None);
        await SendAsync("x@one.test", "y@one.test");
        await Engine.Webhooks.FanOutAsync(100, CancellationToken.None);
        var start = Clock.GetUtcNow();

        var first = Assert.Single(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));
        await Engine.Webhooks.RecordFailureAsync(first, "HTTP 500", start.AddMinutes(1), start.AddHours(-1), CancellationToken.None);
        Assert.Empty(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));
        Clock.Advance(TimeSpan.FromMinutes(2));
        var retried = Assert.Single(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Equal((first.EventId, 1), (retried.EventId, retried.Attempts));
        await Engine.Webhooks.RecordFailureAsync(retried, "HTTP 500", Clock.GetUtcNow().AddMinutes(1), start.AddMinutes(1), CancellationToken.None);

        Assert.NotNull(Assert.Single(await Engine.Webhooks.ListAsync(Account, CancellationToken.None)).DisabledAt);
        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.True(await Engine.Webhooks.DeleteAsync(Account, hook.Id, CancellationToken.None));
        Assert.False(await Engine.Webhooks.DeleteAsync(Account, hook.Id, CancellationToken.None));
        Assert.Empty(await Engine.Webhooks.ListAsync(Account, CancellationToken.None));
    }
}
