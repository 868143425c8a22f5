using CustomModels.Core.Models;
using CustomModels.Core.Training;
using CustomModels.Core.Transcriptions;
using CustomModels.Core.Versions;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Data;

/// <summary>
/// The one database model. Each provider has a subclass only so that it can carry its own
/// migrations (SQLite and PostgreSQL differ in types and SQL); the model is defined here once.
/// </summary>
public abstract class AppDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<CustomModel> CustomModels => Set<CustomModel>();
    public DbSet<ModelCount> ModelCounts => Set<ModelCount>();
    public DbSet<TrainingDataSet> DataSets => Set<TrainingDataSet>();
    public DbSet<TrainingJob> TrainingJobs => Set<TrainingJob>();
    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();
    public DbSet<TranscriptionJob> Transcriptions => Set<TranscriptionJob>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    public abstract bool IsPostgres { get; }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RenderListedJson();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken ct = default)
    {
        RenderListedJson();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, ct);
    }

    /// <summary>Every model saved carries its listed JSON as of this save (see <see cref="CustomModel.ListedJson"/>).</summary>
    void RenderListedJson()
    {
        foreach (var entry in ChangeTracker.Entries<CustomModel>())
            if (entry.State is EntityState.Added or EntityState.Modified)
                entry.Entity.ListedJson = ModelJson.Listed(entry.Entity);
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Organization>(e =>
        {
            e.ToTable("organizations");
            e.Property(o => o.Name).HasMaxLength(200);
            e.HasIndex(o => o.Name).IsUnique();
        });

        model.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.Property(k => k.Prefix).HasMaxLength(32);
            e.HasIndex(k => k.Prefix).IsUnique();
            e.Property(k => k.Scopes).HasMaxLength(200);
            e.HasOne(k => k.Organization).WithMany().HasForeignKey(k => k.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<CustomModel>(e =>
        {
            e.ToTable("custom_models");
            e.Ignore(m => m.ModelKey);
            e.Property(m => m.Name).HasMaxLength(200);
            e.Property(m => m.Description).HasMaxLength(1000);
            e.Property(m => m.Language).HasMaxLength(8);
            e.Property(m => m.BaseModel).HasMaxLength(16);
            e.Property(m => m.StatusNote).HasMaxLength(500);
            e.Property(m => m.TrainingStatus).HasConversion<int>();
            e.HasOne<Organization>().WithMany().HasForeignKey(m => m.OrganizationId).OnDelete(DeleteBehavior.Cascade);
            // The list is always one organization's, ordered by id, with optional filters:
            // each filter combination the API offers has an index that ends in id, so a page
            // is an index range scan and the count an index-only scan.
            e.HasIndex(m => new { m.OrganizationId, m.Id });
            e.HasIndex(m => new { m.OrganizationId, m.TrainingStatus, m.Id });
            e.HasIndex(m => new { m.OrganizationId, m.Language, m.Id });
            e.HasIndex(m => new { m.OrganizationId, m.TrainingStatus, m.Language, m.Id });
            e.HasIndex(m => new { m.OrganizationId, m.BaseModel, m.Id });
            // The rows whose listed JSON is to be rendered again: normally none.
            e.HasIndex(m => m.Id, "IX_custom_models_unrendered").HasFilter("\"ListedJson\" IS NULL");
        });

        model.Entity<TrainingDataSet>(e =>
        {
            e.ToTable("training_data_sets");
            e.Property(d => d.Kind).HasConversion<int>();
            e.Property(d => d.AudioFileName).HasMaxLength(255);
            e.Property(d => d.TranscriptFileName).HasMaxLength(255);
            e.HasOne<CustomModel>().WithMany().HasForeignKey(d => d.ModelId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(d => new { d.ModelId, d.Id });
        });

        model.Entity<TrainingJob>(e =>
        {
            e.ToTable("training_jobs");
            e.Property(j => j.State).HasConversion<int>();
            e.Property(j => j.LeaseOwner).HasMaxLength(100);
            e.HasOne<CustomModel>().WithMany().HasForeignKey(j => j.ModelId).OnDelete(DeleteBehavior.Cascade);
            // Workers look for queued jobs and for running jobs whose lease has expired.
            e.HasIndex(j => new { j.State, j.Id });
            e.HasIndex(j => j.ModelId);
        });

        model.Entity<ModelVersion>(e =>
        {
            e.ToTable("model_versions");
            e.Property(v => v.ArtifactName).HasMaxLength(64);
            e.Property(v => v.EvaluationSource).HasMaxLength(32);
            e.HasOne<CustomModel>().WithMany().HasForeignKey(v => v.ModelId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(v => new { v.ModelId, v.Version }).IsUnique();
        });

        model.Entity<TranscriptionJob>(e =>
        {
            e.ToTable("transcriptions"); // also a job queue: see JobQueue
            e.Property(t => t.PublicId).HasMaxLength(32);
            e.HasIndex(t => t.PublicId).IsUnique();
            e.Property(t => t.Language).HasMaxLength(8);
            e.Property(t => t.AudioFileName).HasMaxLength(255);
            e.Property(t => t.State).HasConversion<int>();
            e.Property(t => t.LeaseOwner).HasMaxLength(100);
            e.Property(t => t.WebhookUrl).HasMaxLength(2000);
            e.Property(t => t.WebhookHost).HasMaxLength(300);
            e.Property(t => t.ResultUrl).HasMaxLength(2100);
            e.Property(t => t.WebhookState).HasConversion<int>();
            e.HasOne<Organization>().WithMany().HasForeignKey(t => t.OrganizationId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(t => new { t.OrganizationId, t.Id }); // the list
            e.HasIndex(t => new { t.State, t.Id }); // the queue
            e.HasIndex(t => new { t.OrganizationId, t.FinishedAt }); // when an organization was last served (fair claims)
            e.HasIndex(t => new { t.WebhookState, t.WebhookDueAt }); // deliveries due
        });

        model.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.Property(d => d.Url).HasMaxLength(2000);
            e.Property(d => d.Error).HasMaxLength(500);
            e.HasOne<TranscriptionJob>().WithMany().HasForeignKey(d => d.TranscriptionId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(d => new { d.TranscriptionId, d.Id });
        });

        // Kept by database triggers (see the Initial migrations), never written by the application.
        model.Entity<ModelCount>(e =>
        {
            e.ToTable("model_counts");
            e.HasKey(c => new { c.OrganizationId, c.TrainingStatus, c.Language, c.BaseModel });
            e.Property(c => c.TrainingStatus).HasConversion<int>();
            e.Property(c => c.Language).HasMaxLength(8);
            e.Property(c => c.BaseModel).HasMaxLength(16);
        });
    }
}
