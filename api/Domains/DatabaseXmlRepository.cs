using System.Xml.Linq;
using Dapper;
using EmailApi.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace EmailApi.Domains;

/// <summary>
/// The Data Protection key ring in the shared PostgreSQL database (<c>data_protection_keys</c>), so a
/// DKIM key sealed on one node opens on every other. Data Protection calls it synchronously.
/// </summary>
public sealed class DatabaseXmlRepository(PostgresDb db, TimeProvider clock) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = db.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY created_at, name").Select(XElement.Parse).ToArray();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = db.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
        connection.Execute("INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @now) ON CONFLICT (name) DO NOTHING",
            new { name = friendlyName, xml = element.ToString(SaveOptions.DisableFormatting), now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
    }
}
