namespace EmailApi.Suppressions;

/// <summary>Why an address is on the list; stored as its lower-case name in <c>suppressions.source</c>.</summary>
public enum SuppressionSource
{
    /// <summary>Added through the API or the console.</summary>
    Manual,

    /// <summary>An inbound bounce or complaint report.</summary>
    Feedback,
}
