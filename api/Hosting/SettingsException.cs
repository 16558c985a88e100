namespace EmailApi.Hosting;

/// <summary>The configuration cannot work: one line per problem, printed as they are and the process exits before touching anything.</summary>
public sealed class SettingsException(IReadOnlyList<string> problems) : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
