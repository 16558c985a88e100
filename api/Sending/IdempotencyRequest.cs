using EmailApi.Queue;

namespace EmailApi.Sending;

/// <summary>
/// An <c>Idempotency-Key</c> as a door presents it: the key, a hash of the request it came with, and
/// how to turn the per-message answers into the response that a retry will get back.
/// </summary>
public sealed record IdempotencyRequest(string Key, byte[] RequestHash, Func<IReadOnlyList<Submitted>, StoredResponse> Respond)
{
    public const int MaxKeyLength = 256;
    public static readonly TimeSpan KeptFor = TimeSpan.FromHours(24);
}
