using EmailApi.TestKit;

namespace EmailApi.Tests.Storage;

/// <summary>
/// Every test class that needs PostgreSQL joins this collection and shares one server (started
/// once, on loopback, stopped and deleted at the end of the run); each test creates its own database.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
