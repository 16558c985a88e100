namespace EmailApi.Feedback;

/// <summary>
/// The feedback capability's tables. One SQL text for both engines (<see cref="SqlFeedbackStore"/>);
/// failures of the database surface as exceptions (the caller's own trouble, never a verdict).
/// </summary>
public interface IFeedbackStore
{
    /// <summary>
    /// The sealed VERP key named <paramref name="name"/>: the one already stored, or
    /// <paramref name="sealedCandidate"/> if none was. Nodes racing on an empty table all get the
    /// first one written, so every node signs and checks tokens with the same key.
    /// </summary>
    Task<string> KeyAsync(string name, string sealedCandidate, DateTimeOffset now, CancellationToken ct);
}
