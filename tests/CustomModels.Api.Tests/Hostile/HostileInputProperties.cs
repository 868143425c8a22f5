using System.Text;
using CsCheck;
using CustomModels.Api.Tests.Infrastructure;
using static CustomModels.Api.Tests.Hostile.HostileGen;

namespace CustomModels.Api.Tests.Hostile;

public sealed class HostileInputOnSqlite(SqliteService fixture) : HostileInputProperties(fixture.Service), IClassFixture<SqliteService>;

/// <summary>PostgreSQL refuses what SQLite stores (a NUL in text, for one): the same properties against it.</summary>
public sealed class HostileInputOnPostgres(PostgresService fixture) : HostileInputProperties(fixture.Service), IClassFixture<PostgresService>;

/// <summary>
/// Random hostile requests at every endpoint, over real HTTP to the real service: whatever is
/// sent, the answer is below 500, every error is in the API.md error shape, and nothing leaks
/// (the data folder's path, a stack trace, an HTML page). Each property is bounded to several
/// hundred requests (seconds); a failure prints the request that broke the contract and the
/// seed that replays it (CsCheck_Seed).
/// </summary>
public abstract class HostileInputProperties(TestService service)
{
    const int Threads = 4;

    /// <summary>An organization with a model that never gets data (so /run never starts a training) and one that takes uploads.</summary>
    async Task<(string Key, long Idle, long Uploads)> NewOrganizationAsync()
    {
        var org = await service.CreateOrganizationAsync();
        var client = org.Client();
        var idle = (long)(await client.CreateModelAsync("Idle"))["id"]!;
        var uploads = (long)(await client.CreateModelAsync("Uploads"))["id"]!;
        return (org.Key, idle, uploads);
    }

    List<(string, string)> BaseHeaders(string? key)
    {
        var headers = new List<(string, string)> { ("Host", service.BaseAddress.Authority) };
        if (key is not null) headers.Add(("Authorization", "Bearer " + key));
        return headers;
    }

    async Task SendAndCheckAsync(RawRequest request)
    {
        var response = await RawHttp.SendAsync(service.BaseAddress, request);
        Contract.AssertHonours(request, response, service.Storage.DataDirectory);
    }

    /// <summary>The id a path gets: data endpoints take the upload model, /run and the rest the idle one; delete never a real one.</summary>
    static Gen<string> IdFor(string path, string method, long idle, long uploads) =>
        method == "DELETE" && path.EndsWith("{id}") ? Id() : path.Contains("/data") ? Id(uploads) : Id(idle);

    [Fact]
    public async Task Random_query_strings_at_every_endpoint_are_answered_within_the_contract()
    {
        var (key, idle, uploads) = await NewOrganizationAsync();
        var gen =
            from endpoint in Endpoint
            from method in MethodFor(endpoint.Method)
            from id in IdFor(endpoint.Path, method, idle, uploads)
            from dataId in Id()
            from query in QueryString
            from authorized in Gen.Frequency((9, Gen.Const(true)), (1, Gen.Const(false)))
            select new RawRequest(method, Fill(endpoint.Path, id, dataId) + query, BaseHeaders(authorized ? key : null), []);
        await gen.SampleAsync(SendAndCheckAsync, iter: 800, threads: Threads, print: r => r.ToString());
    }

    [Fact]
    public async Task Random_ids_at_every_endpoint_are_answered_within_the_contract()
    {
        var (key, idle, uploads) = await NewOrganizationAsync();
        var gen =
            from endpoint in Endpoint.Where(e => e.Path.Contains("{id}"))
            from id in IdFor(endpoint.Path, endpoint.Method, idle, uploads)
            from dataId in Id(1, idle)
            from trailingSlash in Gen.Bool
            select new RawRequest(endpoint.Method, Fill(endpoint.Path, id, dataId) + (trailingSlash ? "/" : ""), BaseHeaders(key), []);
        await gen.SampleAsync(SendAndCheckAsync, iter: 600, threads: Threads, print: r => r.ToString());
    }

    [Fact]
    public async Task Random_json_bodies_to_create_update_and_run_are_answered_within_the_contract()
    {
        var (key, idle, uploads) = await NewOrganizationAsync();
        var targets = new (string Method, string Path)[]
        {
            ("POST", ModelsPath), ("POST", $"{ModelsPath}/{idle}"), ("PUT", $"{ModelsPath}/{idle}"), ("PATCH", $"{ModelsPath}/{idle}"),
            ("POST", $"{ModelsPath}/{idle}/run"), ("PUT", $"{ModelsPath}/{uploads}/data"), ("GET", ModelsPath),
        };
        var gen =
            from target in Gen.Frequency((4, Gen.Int[0, 3]), (1, Gen.Int[4, targets.Length - 1])).Select(i => targets[i])
            from contentType in JsonContentType
            from json in JsonBody
            from bom in Gen.Frequency((9, Gen.Const(false)), (1, Gen.Const(true)))
            let headers = BaseHeaders(key).Concat(contentType.Length > 0 ? [("Content-Type", contentType)] : []).ToList()
            select new RawRequest(target.Method, target.Path, headers, (bom ? new byte[] { 0xEF, 0xBB, 0xBF } : []).Concat(Encoding.UTF8.GetBytes(json)).ToArray());
        await gen.SampleAsync(SendAndCheckAsync, iter: 1000, threads: Threads, print: r => r.ToString());
    }

    [Fact]
    public async Task Random_multipart_bodies_to_the_upload_are_answered_within_the_contract()
    {
        var (key, _, uploads) = await NewOrganizationAsync();
        var gen =
            from method in Gen.OneOf("PUT", "POST")
            from multipart in Multipart
            let headers = BaseHeaders(key).Append(("Content-Type", multipart.ContentType)).ToList()
            select new RawRequest(method, $"{ModelsPath}/{uploads}/data", headers, multipart.Body) { DeclaredLength = multipart.Declared };
        await gen.SampleAsync(SendAndCheckAsync, iter: 500, threads: Threads, print: r => r.ToString());
    }

    [Fact]
    public async Task Random_headers_at_every_endpoint_are_answered_within_the_contract()
    {
        var (key, idle, uploads) = await NewOrganizationAsync();
        var gen =
            from endpoint in Endpoint
            from id in IdFor(endpoint.Path, endpoint.Method, idle, uploads)
            from authorizations in Gen.Frequency((3, Gen.Const("Bearer " + key)), (2, Authorization)).List[0, 2]
            from contentType in Gen.Frequency((2, Gen.Const((string?)null)), (3, AnyContentType.Select(s => (string?)s)))
            from fileName in Gen.Frequency((1, Gen.Const((string?)null)), (2, XFileName.Select(s => (string?)s)))
            from extras in ExtraHeader.List[0, 3]
            from dataType in Gen.OneOf("", "?data_type=1", "?data_type=2", "?data_type=3")
            from body in Gen.OneOf("", "the patient is stable", "{\"name\":\"Hostile\",\"language\":\"en\"}", "{}")
            let headers = new List<(string, string)> { ("Host", service.BaseAddress.Authority) }
                .Concat(authorizations.Select(a => ("Authorization", a)))
                .Concat(contentType is null ? [] : [("Content-Type", contentType)])
                .Concat(fileName is null ? [] : [("x-filename", fileName)])
                .Concat(extras).ToList()
            select new RawRequest(endpoint.Method, Fill(endpoint.Path, id, "1") + (endpoint.Path.EndsWith("/data") ? dataType : ""),
                headers, Encoding.UTF8.GetBytes(body));
        await gen.SampleAsync(SendAndCheckAsync, iter: 800, threads: Threads, print: r => r.ToString());
    }
}
