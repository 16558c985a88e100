namespace EmailApi.Feedback;

/// <summary>
/// The one place a mailed RFC 2369 unsubscribe (<c>unsub+TOKEN@…</c>) takes effect. The token and
/// its one-click twin (RFC 8058) belong to the unsubscribe work of issue 16 point 3, built in
/// parallel: on merge, this call goes to its <c>UnsubscribeAsync(token, via: "mailto", ct)</c>, so
/// there is one unsubscribe mechanism, not two. Until then the report is classified and kept, and
/// its effect says it was not applied.
/// </summary>
public static class MailedUnsubscribe
{
    public const string NotConnected = "unsubscribe-not-connected";

    public static Task<string> ApplyAsync(string token, CancellationToken ct) => Task.FromResult(NotConnected);
}
