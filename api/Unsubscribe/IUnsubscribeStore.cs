namespace EmailApi.Unsubscribe;

/// <summary>The tables behind unsubscribe links, one implementation per engine (the SQL is shared: <see cref="SqlUnsubscribeStore"/>).</summary>
public interface IUnsubscribeStore
{
    /// <summary>
    /// The stored value of the secret <paramref name="name"/>; when there is none yet,
    /// <paramref name="candidate"/> is stored and returned. Nodes racing to create it all get the one that won.
    /// </summary>
    Task<string> SecretAsync(string name, string candidate, DateTimeOffset now, CancellationToken ct);

    /// <summary>The account and only recipient of the message; null when there is no such message or it has more than one recipient.</summary>
    Task<UnsubscribeTarget?> FindAsync(string messageId, CancellationToken ct);

    /// <summary>
    /// Adds the recipient to the account's suppression list (reason <c>unsubscribed</c>) and logs an
    /// <c>unsubscribed</c> event on the message, in one transaction; false, with nothing written,
    /// when the address was suppressed already.
    /// </summary>
    Task<bool> SuppressAsync(UnsubscribeTarget target, string via, DateTimeOffset now, CancellationToken ct);
}
