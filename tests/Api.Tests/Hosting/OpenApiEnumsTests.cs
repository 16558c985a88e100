using System.Text.Json.Nodes;
using EmailApi.Accounts;
using EmailApi.Events;
using EmailApi.Hosting;
using EmailApi.Queue;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// The document's enums are written as [AllowedValues] on the records; these tests tie them to the
/// code that produces the values, so a new status or scope cannot be missing from generated clients.
/// </summary>
public sealed class OpenApiEnumsTests
{
    private static readonly string[] RecipientStatuses = Enum.GetValues<RecipientStatus>().Select(s => s.ToDb()).ToArray();

    [Fact]
    public async Task Enums_ListExactlyTheValuesTheServiceWrites()
    {
        using var app = new TestApp();
        var document = JsonNode.Parse(await app.CreateClient().GetStringAsync(SwaggerSetup.DocumentPath))!;
        var schemas = document["components"]!["schemas"]!;
        string[] Enum(JsonNode? schema) => schema?["enum"]?.AsArray().Select(v => (string)v!).ToArray() ?? [];

        Assert.Equal(RecipientStatuses, Enum(schemas["RecipientResponse"]!["properties"]!["status"]));
        Assert.Equal(RecipientStatuses, Enum(schemas["LoggedRecipient"]!["properties"]!["status"]));
        Assert.Equal([.. RecipientStatuses, "partially_delivered", "undelivered"], Enum(schemas["MessageResponse"]!["properties"]!["status"]));
        Assert.Equal([.. RecipientStatuses, "partially_delivered", "undelivered"], Enum(schemas["MessageListItem"]!["properties"]!["status"]));
        var sources = System.Enum.GetValues<MessageSource>().Select(s => s.ToDb()).ToArray();
        Assert.Equal(sources, Enum(schemas["MessageResponse"]!["properties"]!["source"]));
        Assert.Equal(WebhookEventTypes.All, Enum(schemas["CreateWebhookRequest"]!["properties"]!["events"]!["items"]));
        Assert.Equal(WebhookEventTypes.All, Enum(schemas["WebhookResponse"]!["properties"]!["events"]!["items"]));
        Assert.Equal(Scopes.All, Enum(schemas["CreateKeyRequest"]!["properties"]!["scopes"]!["items"]));
        Assert.Equal(Scopes.All, Enum(schemas["KeyResponse"]!["properties"]!["scopes"]!["items"]));

        var parameters = document["paths"]!["/v1/messages"]!["get"]!["parameters"]!.AsArray();
        Assert.Equal(RecipientStatuses, Enum(parameters.Single(p => (string)p!["name"]! == "status")!["schema"]));
        Assert.Equal(sources, Enum(parameters.Single(p => (string)p!["name"]! == "source")!["schema"]));
    }
}
