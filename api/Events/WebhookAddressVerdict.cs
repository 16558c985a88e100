namespace EmailApi.Events;

/// <summary>Whether a webhook may be sent to an address, and if not, a reason fit to show the account.</summary>
public abstract record WebhookAddressVerdict
{
    private WebhookAddressVerdict() { }

    public sealed record Allowed : WebhookAddressVerdict;

    public sealed record Refused(string Reason) : WebhookAddressVerdict;
}
