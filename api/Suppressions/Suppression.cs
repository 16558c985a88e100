namespace EmailApi.Suppressions;

/// <summary>An address an account will not send to: after a hard bounce (<c>bounce</c>), added by hand (<c>manual</c>), or after an inbound bounce or complaint report (<c>feedback</c>).</summary>
public sealed record Suppression(string Address, string Reason, string Source, DateTimeOffset CreatedAt);
