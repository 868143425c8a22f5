using CustomModels.Core.Data;
using CustomModels.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Models;

/// <summary>
/// Deleting a model is permanent: its row, and with it (by cascade) its data sets and training
/// jobs, then every file of the model. A worker training it notices at its next progress report
/// or lease renewal and stops.
/// </summary>
public sealed class ModelDeletion(BlobStore blobs)
{
    public async Task<bool> DeleteAsync(AppDbContext db, long organizationId, long modelId, CancellationToken ct)
    {
        var rows = await db.CustomModels.Where(m => m.Id == modelId && m.OrganizationId == organizationId).ExecuteDeleteAsync(ct);
        if (rows == 0) return false;
        blobs.DeleteQuietly(StorageLayout.ModelFolder(modelId));
        return true;
    }
}
