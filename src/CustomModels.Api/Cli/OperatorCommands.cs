using System.CommandLine;
using CustomModels.Core.Access;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Transcriptions;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Api.Cli;

/// <summary>The operator's commands: organizations and API keys, straight on the database.</summary>
public static class OperatorCommands
{
    public static IEnumerable<Command> Build() => [Organizations(), Keys()];

    static Command Organizations()
    {
        var name = new Argument<string>("name") { Description = "Organization name" };
        var create = new Command("create", "Create an organization; prints its id") { name };
        create.SetAction((parse, ct) => WithDatabase(async db =>
        {
            var org = await Core.Access.Organizations.CreateAsync(db, parse.GetValue(name)!, ct);
            Console.WriteLine(org.Id);
        }));

        var orgName = new Argument<string>("name") { Description = "Organization name" };
        var rotate = new Option<bool>("--rotate") { Description = "Replace the secret; webhooks are signed with the new one from now on" };
        var webhookSecret = new Command("webhook-secret", "Print the secret that signs the organization's webhooks (X-Signature)") { orgName, rotate };
        webhookSecret.SetAction((parse, ct) => WithDatabase(async db =>
        {
            var organization = await FindOrganizationAsync(db, parse.GetValue(orgName)!, ct);
            var secrets = new WebhookSecrets(new BlobStore(StorageSettings.FromEnvironment()));
            Console.WriteLine(parse.GetValue(rotate)
                ? await secrets.RotateAsync(db, organization.Id, ct)
                : await secrets.CurrentAsync(db, organization.Id, ct));
        }));
        return new Command("orgs", "Manage organizations") { create, webhookSecret };
    }

    static Command Keys()
    {
        var org = new Option<string>("--org") { Description = "Organization name", Required = true };
        var scopes = new Option<string>("--scopes")
        {
            Description = "Comma-separated: " + string.Join(",", Scopes.All), Required = true,
        };
        var perMinute = new Option<int>("--requests-per-minute")
        {
            Description = "Requests per minute (0 = unlimited)", DefaultValueFactory = _ => KeyLimits.DefaultRequestsPerMinute,
        };
        var concurrent = new Option<int>("--max-concurrent")
        {
            Description = "Requests in flight (0 = unlimited)", DefaultValueFactory = _ => KeyLimits.DefaultMaxConcurrent,
        };
        var create = new Command("create", "Create a key; prints it once, alone on the last line") { org, scopes, perMinute, concurrent };
        create.SetAction((parse, ct) => WithDatabase(async db =>
        {
            var organization = await FindOrganizationAsync(db, parse.GetValue(org)!, ct);
            var created = await ApiKeys.CreateKeyAsync(db, organization.Id, parse.GetValue(scopes)!.Split(','),
                parse.GetValue(perMinute), parse.GetValue(concurrent), ct);
            Console.WriteLine($"key id {created.Row.Id} for organization '{organization.Name}', scopes {created.Row.Scopes}");
            Console.WriteLine(created.Key);
        }));

        var keyRef = new Argument<string>("key") { Description = "Key id, key prefix or the whole key" };
        var revoke = new Command("revoke", "Revoke a key") { keyRef };
        revoke.SetAction((parse, ct) => WithDatabase(async db =>
        {
            var row = await ApiKeys.RevokeAsync(db, parse.GetValue(keyRef)!, ct)
                ?? throw new ArgumentException("no such key");
            Console.WriteLine($"revoked key id {row.Id}");
        }));

        var listOrg = new Option<string>("--org") { Description = "Organization name", Required = true };
        var list = new Command("list", "List an organization's keys (never the keys themselves)") { listOrg };
        list.SetAction((parse, ct) => WithDatabase(async db =>
        {
            var organization = await FindOrganizationAsync(db, parse.GetValue(listOrg)!, ct);
            var keys = await db.ApiKeys.AsNoTracking().Where(k => k.OrganizationId == organization.Id).OrderBy(k => k.Id).ToListAsync(ct);
            Console.WriteLine("id\tprefix\tscopes\trequests_per_minute\tmax_concurrent\tcreated_at\trevoked_at");
            foreach (var k in keys)
                Console.WriteLine($"{k.Id}\tcmk_{k.Prefix}\t{k.Scopes.Replace(' ', ',')}\t{k.RequestsPerMinute}\t{k.MaxConcurrent}\t{ModelMapping.Timestamp(k.CreatedAt)}\t{(k.RevokedAt is { } r ? ModelMapping.Timestamp(r) : "-")}");
        }));

        return new Command("keys", "Manage API keys") { create, revoke, list };
    }

    static async Task<Organization> FindOrganizationAsync(AppDbContext db, string name, CancellationToken ct) =>
        await db.Organizations.FirstOrDefaultAsync(o => o.Name == name.Trim(), ct)
        ?? throw new ArgumentException($"no organization named '{name}'");

    /// <summary>Runs an operator action on an up-to-date database; a bad argument is a message and exit code 2.</summary>
    static async Task<int> WithDatabase(Func<AppDbContext, Task> action)
    {
        var storage = StorageSettings.FromEnvironment();
        await using var db = Database.Open(storage);
        try
        {
            await Database.MigrateAsync(db, storage);
            await action(db);
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
