using System.Collections.Frozen;
using System.Security.Cryptography;

namespace EmailApi.WebConsole;

/// <summary>The console's stylesheet and script, embedded in the binary (no CDN, no front-end build), served with an ETag.</summary>
internal static class ConsoleAssets
{
    private static readonly FrozenDictionary<string, (byte[] Bytes, string Type, string ETag)> Files = Load();

    public static void Map(WebApplication app) =>
        app.MapGet($"{ConsoleRegistration.Prefix}/assets/{{name}}", (string name, HttpContext context) =>
        {
            if (!Files.TryGetValue(name, out var file)) return Results.NotFound();
            context.Response.Headers.CacheControl = "public, max-age=3600";
            context.Response.Headers.ETag = file.ETag;
            if (context.Request.Headers.IfNoneMatch == file.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.Bytes(file.Bytes, file.Type);
        }).ExcludeFromDescription();

    private static FrozenDictionary<string, (byte[], string, string)> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var files = new Dictionary<string, (byte[], string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("console/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var name = resource["console/".Length..];
            var type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[name] = (bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }
        return files.ToFrozenDictionary();
    }
}
