namespace EmailApi.Queue;

/// <summary>
/// Where one recipient stands. <see cref="Queued"/>, <see cref="Deferred"/> and <see cref="Sending"/>
/// are live; the others are final. <see cref="Bounced"/> means a receiving server refused it (or the
/// queue lifetime ran out), during our delivery or afterwards by a bounce report to the return path;
/// <see cref="Failed"/> means it could not be routed at all (NXDOMAIN, null MX).
/// </summary>
public enum RecipientStatus
{
    Queued,
    Sending,
    Deferred,
    Delivered,
    Bounced,
    Failed,
    Suppressed,

    /// <summary>Withdrawn by the account before any attempt (<c>DELETE /v1/messages/{id}</c>, usually a scheduled send).</summary>
    Cancelled,

    /// <summary>Delivered, then reported as unwanted by the recipient's mailbox provider (an RFC 5965 complaint to the return path).</summary>
    Complained,
}

public static class RecipientStatusNames
{
    public static string ToDb(this RecipientStatus status) => status switch
    {
        RecipientStatus.Queued => "queued",
        RecipientStatus.Sending => "sending",
        RecipientStatus.Deferred => "deferred",
        RecipientStatus.Delivered => "delivered",
        RecipientStatus.Bounced => "bounced",
        RecipientStatus.Failed => "failed",
        RecipientStatus.Suppressed => "suppressed",
        RecipientStatus.Cancelled => "cancelled",
        RecipientStatus.Complained => "complained",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static RecipientStatus FromDb(string text) => text switch
    {
        "queued" => RecipientStatus.Queued,
        "sending" => RecipientStatus.Sending,
        "deferred" => RecipientStatus.Deferred,
        "delivered" => RecipientStatus.Delivered,
        "bounced" => RecipientStatus.Bounced,
        "failed" => RecipientStatus.Failed,
        "suppressed" => RecipientStatus.Suppressed,
        "cancelled" => RecipientStatus.Cancelled,
        "complained" => RecipientStatus.Complained,
        _ => throw new InvalidDataException($"Unknown recipient status '{text}'."),
    };

    public static bool IsFinal(this RecipientStatus status) =>
        status is RecipientStatus.Delivered or RecipientStatus.Bounced or RecipientStatus.Failed or RecipientStatus.Suppressed or RecipientStatus.Cancelled
            or RecipientStatus.Complained;
}
