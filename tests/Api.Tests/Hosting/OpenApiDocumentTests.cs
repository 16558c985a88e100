using System.Text.Json;
using System.Text.Json.Nodes;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// openapi/openapi.json is the checked-in contract. This test fails when the live document
/// differs; <c>scripts/update-openapi.sh</c> (UPDATE_GOLDEN=1) rewrites it for review.
/// </summary>
public sealed class OpenApiDocumentTests
{
    [Fact]
    public async Task LiveDocument_MatchesCheckedInFile()
    {
        using var app = new TestApp();
        var live = JsonNode.Parse(await app.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        var path = Path.Combine(RepoRoot(), "openapi", "openapi.json");

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
            await File.WriteAllTextAsync(path, live.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");

        Assert.True(File.Exists(path), $"{path} is missing; run scripts/update-openapi.sh");
        var golden = JsonNode.Parse(await File.ReadAllTextAsync(path));
        Assert.True(JsonNode.DeepEquals(golden, live),
            "The live OpenAPI document differs from openapi/openapi.json. Run scripts/update-openapi.sh and review the diff.");
    }

    [Fact]
    public async Task SwaggerUi_IsServed()
    {
        using var app = new TestApp();
        var response = await app.CreateClient().GetAsync("/swagger/index.html");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EmailApi.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("EmailApi.sln not found above the test binaries.");
    }
}
