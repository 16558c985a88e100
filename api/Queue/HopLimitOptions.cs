namespace EmailApi.Queue;

/// <summary>
/// <c>Delivery:MaxHops</c>: a message with this many Received fields or more is a mail loop
/// (Postfix's <c>hopcount_limit</c>, default 50). The doors refuse it (SMTP 554 5.4.6) and the
/// sender bounces it without dialling. Bound from the <c>Delivery</c> section but kept here, with
/// <see cref="HopCount"/>, because the doors must not depend on the sender.
/// </summary>
public sealed class HopLimitOptions
{
    public int MaxHops { get; set; } = 50;

    /// <summary>The words both the doors and the sender use, so a log or a bounce reads the same.</summary>
    public static string Describe(int hops, int limit) =>
        $"Mail loop: the message has passed {hops} relays (Received header fields); the limit is {limit}";
}
