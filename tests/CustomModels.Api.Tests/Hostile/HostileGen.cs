using System.Globalization;
using System.Text;
using CsCheck;

namespace CustomModels.Api.Tests.Hostile;

/// <summary>Generators of what a hostile or careless client sends.</summary>
public static class HostileGen
{
    public const string ModelsPath = "/api/v3/custom_models";

    /// <summary>Every endpoint of the service; {id} and {dataId} are filled in by the caller.</summary>
    public static readonly (string Method, string Path)[] Endpoints =
    [
        ("GET", ModelsPath), ("POST", ModelsPath),
        ("GET", ModelsPath + "/{id}"), ("POST", ModelsPath + "/{id}"), ("PUT", ModelsPath + "/{id}"), ("PATCH", ModelsPath + "/{id}"), ("DELETE", ModelsPath + "/{id}"),
        ("PUT", ModelsPath + "/{id}/data"), ("POST", ModelsPath + "/{id}/data"), ("GET", ModelsPath + "/{id}/data"),
        ("DELETE", ModelsPath + "/{id}/data/{dataId}"),
        ("POST", ModelsPath + "/{id}/run"), ("GET", ModelsPath + "/{id}/evaluation"),
        ("GET", "/healthz"), ("GET", "/readyz"),
    ];

    public static readonly Gen<(string Method, string Path)> Endpoint = Gen.Int[0, Endpoints.Length - 1].Select(i => Endpoints[i]);

    /// <summary>Mostly the endpoint's own method, sometimes one it does not have.</summary>
    public static Gen<string> MethodFor(string method) => Gen.Frequency(
        (9, Gen.Const(method)),
        (1, Gen.OneOf("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "FOO", "M-SEARCH")));

    /// <summary>Text with anything in it: control characters, lone surrogates, any plane.</summary>
    public static readonly Gen<string> AnyText = Gen.String[0, 40];

    public static readonly Gen<string> PrintableAscii = Gen.String[Gen.Char[' ', '~'], 0, 40];

    static readonly string[] NastyValues =
    [
        "", " ", "0", "-0", "1", "-1", "+1", " 1", "1 ", "01", "1.0", "1e3", "0x10", "2147483647", "2147483648", "-2147483649",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999999999999999",
        "NaN", "Infinity", "null", "true", "[]", "{}", "１", "١٢٣", "Ⅻ", "en", "EN", "en ", "medical", "train", "test",
        "../../etc/passwd", "/etc/passwd", "C:\\x", "\\\\server\\share", "a\0b", "\u0001\u001f\u007f", "\r\nX-Injected: 1",
        "'; DROP TABLE custom_models; --", "<script>alert(1)</script>", "<html>", "%s%n%x", "{0}", "\ud800", "\udfff\ud800",
        "😀", "e\u0301", "\u202e", "\ufeff", "\uffff",
    ];

    /// <summary>Values that break parsers: numbers past every range, signs, unicode digits, paths, injections.</summary>
    public static readonly Gen<string> Nasty = Gen.Frequency(
        (6, Gen.OneOf(NastyValues)),
        (2, Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Int[1, 3000].Select(n => new string('9', n))),
        (1, Gen.Int[1, 20_000].Select(n => new string('a', n))),
        (2, AnyText),
        (1, PrintableAscii));

    /// <summary>Percent-encoding as a browser does it: UTF-8 bytes (a lone surrogate becomes U+FFFD), unreserved kept.</summary>
    public static string Encode(string s) =>
        string.Concat(Encoding.UTF8.GetBytes(s).Select(b => IsUnreserved(b) ? ((char)b).ToString() : $"%{b:X2}"));

    static bool IsUnreserved(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
        or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';

    /// <summary>Already-encoded fragments that a sloppy client puts in a URL as they are.</summary>
    static readonly string[] RawFragments =
        ["%", "%2", "%zz", "%00", "%2F", "%2f..%2f..%2fetc%2fpasswd", "%C0%AF", "%FF%FE", "%ED%A0%80", "%E2%80%AE", "..", ".", "%2E%2E", "+", "&", "=", ";", "%25"];

    /// <summary>A value as it appears in a URL: encoded, raw (spaces aside), or pre-encoded garbage.</summary>
    public static readonly Gen<string> UrlValue = Gen.Frequency(
        (7, Nasty.Select(Encode)),
        (2, Nasty.Select(s => s.Replace(" ", "%20").Replace("#", "%23").Replace("?", "%3F").Replace("\r", "%0D").Replace("\n", "%0A"))),
        (2, Gen.OneOf(RawFragments)));

    static readonly string[] QueryKeys = ["page", "per_page", "status", "language", "base_model", "data_type", "type", "id", "", "page[]", "PAGE"];

    public static readonly Gen<string> QueryString =
        Gen.Select(Gen.Frequency((5, Gen.OneOf(QueryKeys).Select(Encode)), (1, UrlValue)), UrlValue, Gen.Int[0, 6])
            .Select((key, value, form) => form switch { 0 => key, 1 => key + "=", _ => key + "=" + value })
            .List[0, 6]
            .Select(pairs => pairs.Count == 0 ? "" : "?" + string.Join("&", pairs));

    /// <summary>An id in a path: the caller's real ones, or anything.</summary>
    public static Gen<string> Id(params long[] real) => Gen.Frequency(
        (real.Length == 0 ? 0 : 3, Gen.OneOf(real.Length == 0 ? [0L] : real).Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (6, UrlValue),
        (1, Gen.OneOf("1%2F2", "1%2Fdata", "%2E%2E", "1/", "1//", "1%00", "1;x=y", "1%3Fpage=1", "1%23")));

    public static string Fill(string path, string id, string dataId) => path.Replace("{id}", id).Replace("{dataId}", dataId);

    public static readonly Gen<string> JsonContentType = Gen.Frequency(
        (6, Gen.Const("application/json")),
        (1, Gen.OneOf("application/json; charset=utf-8", "application/json; charset=utf-16", "application/json; charset=ebcdic",
            "Application/JSON", "application/problem+json", "text/json", "application/json;;;", "application/json; charset=\"",
            "application/x-www-form-urlencoded", "text/plain", "multipart/form-data", "*/*", "", ";", "application/", "\u00e9/json")));

    /// <summary>A JSON value of any shape, up to the given depth, as text.</summary>
    public static Gen<string> JsonValue(int depth)
    {
        var scalar = Gen.Frequency(
            (2, Gen.OneOf("null", "true", "false", "0", "-0", "1e400", "-1e-400", "123456789012345678901234567890", "1.5", "-7")),
            (2, Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture))),
            (4, Nasty.Select(s => System.Text.Json.JsonSerializer.Serialize(s))));
        if (depth == 0) return scalar;
        var inner = JsonValue(depth - 1);
        return Gen.Frequency(
            (4, scalar),
            (1, inner.List[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (2, Gen.Select(Gen.Frequency((3, Gen.OneOf("name", "description", "language", "base_model")), (1, Nasty)), inner)
                .List[0, 5].Select(fields => "{" + string.Join(",", fields.Select(f => System.Text.Json.JsonSerializer.Serialize(f.Item1) + ":" + f.Item2)) + "}")));
    }

    /// <summary>A request body meant as JSON: plausible, wrong types, huge, deep, broken.</summary>
    public static readonly Gen<string> JsonBody = Gen.Frequency(
        (4, Gen.Select(JsonValue(1), JsonValue(1), JsonValue(1), JsonValue(1), Gen.Int[0, 15]).Select((name, description, language, baseModel, present) =>
            "{" + string.Join(",", new[] { ("name", name), ("description", description), ("language", language), ("base_model", baseModel) }
                .Where((_, i) => (present & (1 << i)) != 0).Select(f => $"\"{f.Item1}\":{f.Item2}")) + "}")),
        (2, Gen.OneOf("{\"name\":\"Cardio\",\"language\":\"en\"}", "{\"name\":\"x\",\"description\":null}", "{\"description\":null}")),
        (3, JsonValue(3)),
        (1, Gen.Select(Gen.Int[1, 100_000], Gen.OneOf("name", "description")).Select((n, field) => $"{{\"{field}\":\"{new string('x', n)}\",\"language\":\"en\"}}")),
        (1, Gen.Int[1, 300].Select(n => $"{{\"name\":\"{string.Concat(Enumerable.Repeat("😀", n))}\",\"language\":\"en\"}}")),
        (1, Gen.Int[1, 5000].Select(d => new string('[', d) + new string(']', d))),
        (1, Gen.Int[1, 5000].Select(d => string.Concat(Enumerable.Repeat("{\"name\":", d)) + "1" + new string('}', d))),
        (2, Gen.OneOf("", " ", "{", "}", "{\"name\":}", "{\"name\":\"x\",}", "{'name':'x'}", "{\"name\":\"x\" /* c */}", "{\"name\":NaN}",
            "\ufeff{\"name\":\"x\",\"language\":\"en\"}", "{\"name\":\"\\ud800\",\"language\":\"en\"}", "{\"name\":\"\\u0000\",\"language\":\"en\"}",
            "{\"name\":\"x\",\"name\":\"y\",\"language\":\"en\"}", "{\"name\":\"a\\", "nul", "[", "\"\\u12\"", "{\"a\":1}garbage", "\0\0\0")),
        (1, JsonValue(2).Select(s => s.Length > 1 ? s[..(s.Length / 2)] : s)),
        (1, AnyText));

    /// <summary>A short WAV of silence (16 kHz, 16-bit mono) that ffprobe accepts as audio.</summary>
    public static byte[] SilentWav(int samples = 1600)
    {
        var wav = new MemoryStream();
        var w = new BinaryWriter(wav);
        w.Write("RIFF"u8); w.Write(36 + samples * 2); w.Write("WAVE"u8);
        w.Write("fmt "u8); w.Write(16); w.Write((short)1); w.Write((short)1); w.Write(16000); w.Write(32000); w.Write((short)2); w.Write((short)16);
        w.Write("data"u8); w.Write(samples * 2); w.Write(new byte[samples * 2]);
        return wav.ToArray();
    }

    static readonly Gen<string> PartName = Gen.Frequency(
        (6, Gen.OneOf("type", "audio_file", "transcript_file")),
        (1, Gen.OneOf("data_type", "", "TYPE", "transcript_file[]", "audio_file\"")),
        (1, Nasty));

    public static readonly Gen<string> ClientFileName = Gen.Frequency(
        (3, Gen.OneOf("../../etc/passwd", "/etc/passwd", "C:\\x", "C:\\Windows\\win.ini", "a\0b.txt", "..", ".", "", "~/.ssh/id_rsa",
            "..\\..\\x.txt", "corpus.txt", "clip.wav", "name with spaces.txt", "ключ.txt", "\u202etxt.exe", "\r\nX: y", "CON", "a/b/c")),
        (1, Nasty));

    static readonly Gen<string> Disposition = Gen.Frequency(
        (6, Gen.Select(PartName, ClientFileName, Gen.Int[0, 3]).Select((name, file, form) => form switch
        {
            0 => $"form-data; name=\"{name}\"",
            1 => $"form-data; name=\"{name}\"; filename=\"{file}\"",
            2 => $"form-data; name=\"{name}\"; filename*=UTF-8''{Encode(file)}",
            _ => $"form-data; name={name}; filename={file}",
        })),
        (1, Gen.OneOf("form-data", "attachment; name=\"transcript_file\"; filename=\"a.txt\"", "form-data; name=\"", "garbage",
            "form-data; name=\"transcript_file\"; filename=\"\"", "form-data; name=\"transcript_file\"; filename*=bogus''x",
            "form-data; name=\"type\"; name=\"audio_file\"", "form-data;;;", ";", "FORM-DATA; NAME=\"transcript_file\"; FILENAME=\"a.txt\"")));

    static readonly Gen<byte[]> PartContent = Gen.Frequency(
        (3, Gen.OneOf("train", "test", "1", "2", "the patient is stable", "a b c d e", "").Select(Encoding.UTF8.GetBytes)),
        (2, Nasty.Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Byte.Array[0, 2000]),
        (1, Gen.Const(SilentWav())),
        (1, Gen.Int[1, 200_000].Select(n => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("word ", n / 5 + 1))))),
        (1, Gen.Const(new byte[] { 0xFF, 0xFE, 0x00, 0xC3, 0x28, 0xED, 0xA0, 0x80 })));

    static readonly Gen<string> PartHeaders = Gen.Select(Disposition, Gen.Int[0, 5], Gen.Int[0, 20_000]).Select((disposition, extra, size) => extra switch
    {
        0 => "Content-Disposition: " + disposition + "\r\nContent-Type: text/plain",
        1 => "Content-Type: audio/wav\r\nContent-Disposition: " + disposition,
        2 => "content-disposition:" + disposition + "\r\nX-Long: " + new string('h', size),
        3 => "Content-Type: text/plain",
        _ => "Content-Disposition: " + disposition,
    });

    static readonly Gen<string> Boundary = Gen.Frequency(
        (5, Gen.Const("----b0undary7MA4YWxkTrZu0gW")),
        (2, Gen.String[Gen.Char['!', '~'], 1, 70]),
        (1, Gen.String[Gen.Char['a', 'z'], 71, 10_000]),
        (1, Gen.OneOf("bøundary", "b b", "\"", "", "--", "b\tb", "\u2028")));

    /// <summary>A multipart body: parts in any number and order, odd headers, garbage boundaries, truncation.</summary>
    public static readonly Gen<(string ContentType, byte[] Body, long? Declared)> Multipart =
        Gen.Select(Boundary, Gen.Select(PartHeaders, PartContent).List[0, 6], Gen.Int[0, 9], Gen.Int[0, 9], Gen.Double[0, 1], Gen.Int[0, 3])
            .Select((boundary, parts, contentTypeForm, shape, cut, announce) =>
            {
                var used = shape == 0 ? boundary + "x" : boundary;
                var body = new MemoryStream();
                void Write(string s) => body.Write(Encoding.UTF8.GetBytes(s));
                if (shape == 1) Write("preamble garbage\r\n");
                foreach (var (headers, content) in parts)
                {
                    Write("--" + used + (shape == 2 ? "\n" : "\r\n") + headers + "\r\n\r\n");
                    body.Write(content);
                    Write("\r\n");
                }
                if (shape != 3) Write("--" + used + "--\r\n");
                if (shape == 4) Write("epilogue garbage");
                var bytes = body.ToArray();
                if (shape == 5) bytes = bytes[..(int)(bytes.Length * cut)];
                var contentType = contentTypeForm switch
                {
                    0 => "multipart/form-data",
                    1 => "multipart/form-data; boundary=",
                    2 => $"multipart/form-data; boundary=\"{boundary}\"",
                    3 => $"multipart/mixed; boundary={boundary}",
                    4 => $"multipart/form-data; boundary={boundary}; boundary=other",
                    5 => $"multipart/form-data; boundary=\"{boundary}",
                    _ => $"multipart/form-data; boundary={boundary}",
                };
                long? declared = announce == 0 ? bytes.Length + 1 + (long)(cut * 100_000) : null;
                return (contentType, bytes, declared);
            });

    public static readonly Gen<string> Authorization = Gen.OneOf(
        "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer \u00e9", "Bearer \0", "Bearer a\u0001b", "Bearer null",
        "Bearer " + new string('k', 201), "Bearer " + new string('k', 30_000), "Bearer cm_" + new string('0', 64), "Bearer\t",
        "Negotiate YIIB", "Bearer ../../etc/passwd", "Bearer ' OR 1=1 --");

    public static readonly Gen<string> AnyContentType = Gen.OneOf(
        "application/json", "text/plain", "text/plain; charset=utf-8", "text/plain; charset=latin1", "multipart/form-data",
        "multipart/form-data; boundary=", "multipart/form-data; boundary=\"", "application/octet-stream", "*/*", "", ";", "text/",
        "text/plain; charset", "application/json; charset=utf-32", "x/y; a=b; a=c", "\u00e9/\u00e9", "text/plain\u0001",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=" + new string('b', 5000));

    public static readonly Gen<string> XFileName = Gen.Frequency((3, ClientFileName), (1, Gen.Int[256, 20_000].Select(n => new string('f', n))));

    /// <summary>Headers beside the ones a request needs; some ask for HTML, some lie about the body.</summary>
    public static readonly Gen<(string, string)> ExtraHeader = Gen.OneOf<(string, string)>(
        ("Accept", "text/html"), ("Accept", "application/xml"), ("Accept-Encoding", "gzip, br"), ("Content-Encoding", "gzip"),
        ("Expect", "100-continue"), ("X-Forwarded-For", "127.0.0.1, ::1"), ("X-HTTP-Method-Override", "DELETE"), ("Cookie", new string('c', 4000)),
        ("Accept-Charset", "ebcdic"), ("Range", "bytes=0-1"), ("If-None-Match", "*"), ("Origin", "null"));
}
