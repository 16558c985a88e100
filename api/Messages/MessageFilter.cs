using EmailApi.Queue;

namespace EmailApi.Messages;

/// <summary>
/// What the message log is narrowed to. <see cref="Status"/> matches a message with any recipient in
/// that state; <see cref="Since"/> (inclusive) and <see cref="Until"/> (exclusive) bound the time the
/// message was accepted.
/// </summary>
public sealed record MessageFilter(
    RecipientStatus? Status,
    string? Recipient,
    string? Tag,
    MessageSource? Source,
    DateTimeOffset? Since,
    DateTimeOffset? Until);
