using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EmailApi.TestKit;

namespace EmailApi.Tests.Domains;

/// <summary>Creates and verifies domains over the API, and publishes the records an answer lists into the test DNS server.</summary>
internal static class DomainsApi
{
    public static async Task<JsonElement> CreateAsync(HttpClient client, string name, string? keyType = null)
    {
        var response = await client.PostAsJsonAsync("/v1/domains", new { name, keyType });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await TestApp.ReadJsonAsync(response);
    }

    public static async Task<JsonElement> VerifyAsync(HttpClient client, string id)
    {
        var response = await client.PostAsync($"/v1/domains/{id}/verify", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await TestApp.ReadJsonAsync(response);
    }

    /// <summary>Serves every listed record (or only those of <paramref name="purposes"/>) as the user would publish it.</summary>
    public static void Publish(DnsTestServer dns, JsonElement domain, params string[] purposes)
    {
        foreach (var record in domain.GetProperty("records").EnumerateArray())
        {
            if (purposes.Length > 0 && !purposes.Contains(record.GetProperty("purpose").GetString())) continue;
            var name = record.GetProperty("name").GetString()!;
            var value = record.GetProperty("value").GetString()!;
            if (record.GetProperty("type").GetString() == "MX")
                dns.Mx(name, int.Parse(value.Split(' ')[0]), value.Split(' ')[1]);
            else
                dns.Txt(name, value);
        }
    }

    public static JsonElement Record(JsonElement domain, string purpose, string? selector = null) =>
        domain.GetProperty("records").EnumerateArray().First(r => r.GetProperty("purpose").GetString() == purpose
            && (selector is null || r.GetProperty("selector").GetString() == selector));
}
