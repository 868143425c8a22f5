using CustomModels.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Models;

/// <summary>Deleting a model is permanent: its row and everything that hangs off it.</summary>
public sealed class ModelDeletion
{
    public async Task<bool> DeleteAsync(AppDbContext db, long organizationId, long modelId, CancellationToken ct)
    {
        var rows = await db.CustomModels.Where(m => m.Id == modelId && m.OrganizationId == organizationId).ExecuteDeleteAsync(ct);
        return rows > 0;
    }
}
