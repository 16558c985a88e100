namespace EmailApi.WebConsole;

/// <summary><c>Console:*</c>: the web console at <c>/console</c>.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    public bool Enabled { get; set; } = true;

    /// <summary>How long a sign-in lasts; the session ends then even while in use (sign in again with the key).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Seconds between refreshes of the first page of the message log while its auto-refresh is on.</summary>
    public int RefreshSeconds { get; set; } = 5;
}
