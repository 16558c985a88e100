namespace EmailApi.Queue;

/// <summary>An address an account will not send to: after a hard bounce (<c>bounce</c>) or added by hand (<c>manual</c>).</summary>
public sealed record Suppression(string Address, string Reason, string Source, DateTimeOffset CreatedAt);
