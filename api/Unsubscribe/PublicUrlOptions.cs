namespace EmailApi.Unsubscribe;

/// <summary>
/// <c>Http:PublicBaseUrl</c>: the address people and mailbox providers reach this service at
/// (<c>https://mail.example.com</c>), for the links it puts in mail. Unset, messages cannot carry
/// one-click unsubscribe links.
/// </summary>
public sealed class PublicUrlOptions
{
    public const string Section = "Http";

    public string? PublicBaseUrl { get; set; }

    /// <summary>The base URL without a trailing slash, or null when none is set.</summary>
    public string? Base => string.IsNullOrWhiteSpace(PublicBaseUrl) ? null : PublicBaseUrl.Trim().TrimEnd('/');
}
