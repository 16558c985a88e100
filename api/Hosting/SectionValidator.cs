using Microsoft.Extensions.Options;

namespace EmailApi.Hosting;

/// <summary>Runs one section's rules (<see cref="SettingsValidators"/>) as the options system's validation, so a section read later is checked too.</summary>
public sealed class SectionValidator<T>(Func<T, IConfiguration, IReadOnlyList<string>> rules, IConfiguration configuration) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var problems = rules(options, configuration);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
