namespace EmailApi.Unsubscribe;

/// <summary>The recipient an unsubscribe token names: the message's only recipient.</summary>
public sealed record UnsubscribeTarget(string AccountId, string MessageId, long RecipientId, string Address);
