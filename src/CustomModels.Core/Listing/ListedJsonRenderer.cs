using CustomModels.Core.Data;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomModels.Core.Listing;

/// <summary>
/// Renders the listed JSON (<see cref="CustomModel.ListedJson"/>) of models that have none: rows a
/// bulk update changed (the worker's progress and results, a trigger cleared theirs), rows written
/// before the column existed, rows loaded by SQL from outside. Until then the list renders those
/// rows from their columns on every request, which is correct but slower; this puts them back on
/// the fast path. Runs in every process of the service, in short transactions that lock the rows they render
/// (SQLite: the write lock; PostgreSQL: FOR UPDATE, skipping rows another process holds), so that
/// an update cannot slip between the read of a row and the storing of its JSON.
/// </summary>
public sealed class ListedJsonRenderer(IServiceScopeFactory scopes, ILogger<ListedJsonRenderer> log) : BackgroundService
{
    public const int BatchSize = 500;
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long rendered = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            int batch;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                batch = await RenderBatchAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // A database away or busy: the list stays correct meanwhile; try again later.
                log.LogWarning(e, "Rendering listed models failed; trying again");
                batch = 0;
            }
            rendered += batch;
            if (batch == BatchSize) continue;
            if (rendered >= 10 * BatchSize) log.LogInformation("Rendered the listed JSON of {Count} models", rendered);
            rendered = 0;
            try { await Task.Delay(Interval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Renders up to <see cref="BatchSize"/> models that have no listed JSON; returns how many.</summary>
    public static async Task<int> RenderBatchAsync(AppDbContext db, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct); // SQLite: BEGIN IMMEDIATE, the write lock
        // Through the partial index of such rows, always: planner statistics from before a bulk
        // rendering would have SQLite walk the table from its start for every batch.
        var models = await db.CustomModels.FromSqlRaw(db.IsPostgres
                ? $"SELECT * FROM custom_models WHERE \"ListedJson\" IS NULL ORDER BY \"Id\" LIMIT {BatchSize} FOR UPDATE SKIP LOCKED"
                : $"SELECT * FROM custom_models INDEXED BY \"IX_custom_models_unrendered\" WHERE \"ListedJson\" IS NULL ORDER BY \"Id\" LIMIT {BatchSize}")
            .ToListAsync(ct);
        if (models.Count == 0) return 0;
        // Saving renders a modified model's listed JSON (AppDbContext), and only that column is written.
        foreach (var model in models) db.Entry(model).Property(m => m.ListedJson).IsModified = true;
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return models.Count;
    }
}
