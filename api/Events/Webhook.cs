namespace EmailApi.Events;

/// <summary>An endpoint an account receives events at. The secret is kept to sign with and shown to the account only once.</summary>
public sealed record Webhook(string Id, string AccountId, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, DateTimeOffset? FailingSince, DateTimeOffset? DisabledAt);
