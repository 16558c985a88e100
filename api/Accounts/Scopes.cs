namespace EmailApi.Accounts;

/// <summary>What a key may do: <c>send</c> (submit mail over HTTP or SMTP), <c>read</c> (message log), <c>admin</c> (accounts and keys).</summary>
public static class Scopes
{
    public const string Send = "send";
    public const string Read = "read";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Send, Read, Admin];
    public static readonly IReadOnlyList<string> Default = [Send, Read];
}
