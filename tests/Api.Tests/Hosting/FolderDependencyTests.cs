using System.Text.RegularExpressions;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// The capability folders of <c>api/</c> depend on each other one way only (ARCHITECTURE.md: the doors
/// → Sending → Queue ← Delivery; nothing depends on Hosting). A folder uses another when one of its
/// files imports the other's namespace or names a type through it (<c>Delivery.MtaSts.TlsResults</c>).
/// </summary>
public sealed partial class FolderDependencyTests
{
    [Fact]
    public void Folders_DependOnEachOtherOneWayOnly()
    {
        var api = Path.Combine(RepoRoot(), "api");
        var folders = Directory.GetDirectories(api).Select(Path.GetFileName).OfType<string>()
            .Where(f => f is not ("bin" or "obj" or "wwwroot") && Directory.EnumerateFiles(Path.Combine(api, f), "*.cs", SearchOption.AllDirectories).Any())
            .ToArray();
        var uses = folders.ToDictionary(f => f, f => Directory.EnumerateFiles(Path.Combine(api, f), "*.cs", SearchOption.AllDirectories)
            .Select(file => Code(File.ReadAllText(file)))
            .SelectMany(code => folders.Where(other => other != f && Uses(code, other)))
            .ToHashSet());

        var both = folders.SelectMany(a => folders.Where(b => string.CompareOrdinal(a, b) < 0 && uses[a].Contains(b) && uses[b].Contains(a)).Select(b => (a, b)))
            .Select(pair => $"{pair.a} <-> {pair.b}")
            .ToArray();

        Assert.Empty(both);
        Assert.NotEmpty(folders);
    }

    [Fact]
    public void Uses_SeesImportsAndQualifiedNames_NotCommentsOrText()
    {
        Assert.True(Uses(Code("using EmailApi.Queue;\nclass A;"), "Queue"));
        Assert.True(Uses(Code("var x = new Delivery.MtaSts.TlsResults();"), "Delivery"));
        Assert.True(Uses(Code("EmailApi.Storage.SqliteDb db;"), "Storage"));
        Assert.False(Uses(Code("// see Queue.IQueueStore\nvar s = \"Queue.Lease\";"), "Queue"));
        Assert.False(Uses(Code("var q = myQueue.Count;"), "Queue"));
    }

    private static bool Uses(string code, string folder) =>
        Regex.IsMatch(code, $@"^using (static )?EmailApi\.{folder}(\.\w+)*;", RegexOptions.Multiline)
        || Regex.IsMatch(code, $@"(?<![\w.])(EmailApi\.)?{folder}\.[A-Z]\w*");

    /// <summary>The code without comments and string literals, where folder names may appear without being used.</summary>
    private static string Code(string source) => Strings().Replace(Comments().Replace(source, ""), "\"\"");

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex Comments();

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex Strings();

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EmailApi.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("EmailApi.sln not found above the test binaries.");
    }
}
