using CustomModels.Core.Data;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Access;

/// <summary>Organizations, the tenants: each has its models, transcriptions and keys.</summary>
public static class Organizations
{
    /// <summary>A new organization; its name is trimmed and must be unique (ArgumentException otherwise).</summary>
    public static async Task<Organization> CreateAsync(AppDbContext db, string name, CancellationToken ct = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 200) throw new ArgumentException("organization name must be 1 to 200 characters");
        if (await db.Organizations.AnyAsync(o => o.Name == name, ct))
            throw new ArgumentException($"an organization named '{name}' already exists");
        var org = new Organization { Name = name, CreatedAt = TimeProvider.System.UtcNowToSecond() };
        db.Organizations.Add(org);
        await db.SaveChangesAsync(ct);
        return org;
    }
}
