namespace EmailApi.Queue;

/// <summary>
/// What one delivery job learned, as the queue records it: the attempt results for recipients of
/// one lease, and the bounce notifications they call for (stored only when at least one of the
/// results still held its lease).
/// </summary>
public sealed record LeaseResults(long LeaseToken, IReadOnlyList<RecipientResult> Results, IReadOnlyList<NewMessage> Notifications);
