using System.Security.Cryptography;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>What a data folder holds, to compare before and after a fault.</summary>
public static class DataFolder
{
    /// <summary>
    /// Every file under the folder (relative path → SHA-256 of its content), except the SQLite
    /// database's own files, which change with every read-write connection, and <paramref name="except"/>.
    /// </summary>
    public static SortedDictionary<string, string> Files(string dataDirectory, Func<string, bool>? except = null)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(dataDirectory, path);
            if (relative.StartsWith("custom-models.db", StringComparison.Ordinal) || except?.Invoke(relative) == true) continue;
            try
            {
                using var stream = File.OpenRead(path);
                files[relative] = Convert.ToHexString(SHA256.HashData(stream));
            }
            catch (FileNotFoundException) { } // deleted while we looked
        }
        return files;
    }

    /// <summary>
    /// The files under tmp/, where uploads are written until kept (each process has a folder of its
    /// own there, which stays: only files count).
    /// </summary>
    public static List<string> TempFiles(string dataDirectory)
    {
        var tmp = Path.Combine(dataDirectory, "tmp");
        return Directory.Exists(tmp) ? Directory.EnumerateFiles(tmp, "*", SearchOption.AllDirectories).ToList() : [];
    }

    public static string Describe(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual)
    {
        var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).ToList();
        var extra = actual.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var changed = expected.Keys.Where(k => actual.TryGetValue(k, out var h) && h != expected[k]).ToList();
        return $"missing: [{string.Join(", ", missing)}] extra: [{string.Join(", ", extra)}] changed: [{string.Join(", ", changed)}]";
    }
}
