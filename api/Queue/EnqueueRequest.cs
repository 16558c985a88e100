namespace EmailApi.Queue;

/// <summary>
/// The messages of one client request (one send, or one batch), committed in one transaction with
/// the idempotency key that names the request, if it has one.
/// </summary>
public sealed record EnqueueRequest(IReadOnlyList<NewMessage> Messages, IdempotencyClaim? Claim = null);

/// <summary>
/// An Idempotency-Key presented with a request. The store claims it in the same transaction as the
/// messages: when another request already holds the key, nothing is stored and the earlier answer
/// comes back (<see cref="EnqueueOutcome.Duplicate"/>). <see cref="Respond"/> turns the per-message
/// results into the answer to remember; it is called only when at least one message was stored
/// (a request refused as a whole is not remembered, so its retry can succeed later).
/// </summary>
public sealed record IdempotencyClaim(
    string AccountId,
    string Key,
    byte[] RequestHash,
    DateTimeOffset ExpiresAt,
    Func<IReadOnlyList<EnqueueResult>, StoredResponse> Respond);

/// <summary>An HTTP answer kept for replay under an idempotency key.</summary>
public sealed record StoredResponse(int StatusCode, string? Location, string Body);
