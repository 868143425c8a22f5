using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Hostile;

/// <summary>A file name from a client is a label for people: it never becomes part of a path on the server.</summary>
public sealed partial class ClientFileNameTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    readonly TestService service = fixture.Service;

    static readonly string[] HostileNames =
    [
        "../../etc/passwd", "/etc/passwd", "C:\\x", "C:\\Windows\\win.ini", "..\\..\\x.txt", "..", ".", "~/.ssh/authorized_keys",
        "a\0b.txt", "../\0/etc/passwd", "models/1/data/evil.txt", "\u202etxt.wav", "CON", "a/b/c",
    ];

    [GeneratedRegex("^models/[0-9]+/data/[0-9a-f]{32}\\.(txt|audio)$")]
    private static partial Regex StoredDataFile();

    [Fact]
    public async Task Hostile_file_names_in_x_filename_and_multipart_end_up_only_as_labels()
    {
        var passwd = SHA256.HashData(await File.ReadAllBytesAsync("/etc/passwd"));
        var org = await service.CreateOrganizationAsync();
        var client = org.Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var wav = HostileGen.SilentWav(8000);

        foreach (var name in HostileNames)
        {
            // The older form: the name in x-filename (HTTP headers are ASCII; Kestrel refuses a NUL in one).
            if (name.All(c => c is >= ' ' and <= '~'))
            {
                var text = new StringContent("the patient is stable", Encoding.UTF8, "text/plain");
                text.Headers.TryAddWithoutValidation("x-filename", name);
                await (await client.PutAsync($"{HostileGen.ModelsPath}/{id}/data?data_type=1", text)).AssertOkAsync();
            }
            // Multipart: the name as filename= and as filename*= (where a NUL can be percent-encoded).
            foreach (var disposition in new[] { $"filename=\"{name}\"", $"filename*=UTF-8''{HostileGen.Encode(name)}" })
            {
                var body = Multipart(("type", null, Encoding.UTF8.GetBytes("train")),
                    ("audio_file", disposition, wav), ("transcript_file", disposition, Encoding.UTF8.GetBytes("the patient is stable")));
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyzzy");
                var upload = await (await client.PutAsync($"{HostileGen.ModelsPath}/{id}/data", content)).AssertOkAsync();
                Assert.DoesNotContain('\0', (string)upload["filename"]!);
            }
        }

        var data = await (await client.GetAsync($"{HostileGen.ModelsPath}/{id}/data")).AssertOkAsync();
        var labels = data["result"]!.AsArray().Select(d => (string)d!["transcript_filename"]!).ToList();
        Assert.Contains("../../etc/passwd", labels);
        Assert.Contains("C:\\x", labels);
        Assert.All(labels, label => Assert.DoesNotContain(label, c => char.IsControl(c)));

        var root = service.Storage.DataDirectory;
        var stored = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("custom-models.db", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(stored);
        Assert.All(stored, file => Assert.Matches(StoredDataFile(), file));
        Assert.Equal(passwd, SHA256.HashData(await File.ReadAllBytesAsync("/etc/passwd")));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(root)!),
            e => !Guid.TryParseExact(Path.GetFileName(e), "N", out _));
    }

    [Fact]
    public async Task A_long_name_cut_at_255_characters_never_splits_a_character_and_is_kept_on_postgres()
    {
        await using var postgres = await TestService.StartAsync(DatabaseKind.Postgres, o => o with { RunWorker = false });
        var client = (await postgres.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        // The 255th and 256th UTF-16 characters are one emoji (a surrogate pair): half of it is not text.
        var name = new string('a', 254) + "\U0001F600" + ".txt";
        var body = Multipart(("type", null, Encoding.UTF8.GetBytes("train")),
            ("transcript_file", $"filename*=UTF-8''{HostileGen.Encode(name)}", Encoding.UTF8.GetBytes("the patient is stable")));
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyzzy");
        var upload = await (await client.PutAsync($"{HostileGen.ModelsPath}/{id}/data", content)).AssertOkAsync();
        Assert.Equal(new string('a', 254), (string?)upload["transcript_filename"]);
        var listed = await (await client.GetAsync($"{HostileGen.ModelsPath}/{id}/data")).AssertOkAsync();
        Assert.Equal(new string('a', 254), (string?)listed["result"]![0]!["transcript_filename"]);
    }

    static byte[] Multipart(params (string Name, string? FileName, byte[] Content)[] parts)
    {
        var body = new MemoryStream();
        foreach (var (name, fileName, content) in parts)
        {
            body.Write(Encoding.UTF8.GetBytes($"--xyzzy\r\nContent-Disposition: form-data; name=\"{name}\"{(fileName is null ? "" : "; " + fileName)}\r\n\r\n"));
            body.Write(content);
            body.Write("\r\n"u8);
        }
        body.Write("--xyzzy--\r\n"u8);
        return body.ToArray();
    }
}
