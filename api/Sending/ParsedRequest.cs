namespace EmailApi.Sending;

/// <summary>A message request as read from JSON: the request, or the problems that kept it from being read.</summary>
internal sealed record ParsedRequest(SendMessageRequest? Request, Dictionary<string, string[]>? Errors, string? Title)
{
    public static ParsedRequest Invalid(string field, string message, string? title) => new(null, new Dictionary<string, string[]> { [field] = [message] }, title);
}
