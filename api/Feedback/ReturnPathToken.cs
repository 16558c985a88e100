using EmailApi.Queue;

namespace EmailApi.Feedback;

/// <summary>What a VERP token names: one recipient row of one message (the queue's recipient id).</summary>
public readonly record struct ReturnPathToken(MessageId MessageId, long RecipientId);
