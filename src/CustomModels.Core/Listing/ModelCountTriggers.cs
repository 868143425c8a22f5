namespace CustomModels.Core.Listing;

/// <summary>
/// The triggers that keep `model_counts` equal to a GROUP BY of `custom_models` on
/// (organization, status, language, base model), whatever writes the models table.
/// </summary>
public static class ModelCountTriggers
{
    public const string Sqlite = """
        CREATE TRIGGER custom_models_count_insert AFTER INSERT ON custom_models BEGIN
          INSERT INTO model_counts ("OrganizationId", "TrainingStatus", "Language", "BaseModel", "Count")
          VALUES (NEW."OrganizationId", NEW."TrainingStatus", NEW."Language", NEW."BaseModel", 1)
          ON CONFLICT DO UPDATE SET "Count" = "Count" + 1;
        END;
        CREATE TRIGGER custom_models_count_delete AFTER DELETE ON custom_models BEGIN
          UPDATE model_counts SET "Count" = "Count" - 1
          WHERE "OrganizationId" = OLD."OrganizationId" AND "TrainingStatus" = OLD."TrainingStatus"
            AND "Language" = OLD."Language" AND "BaseModel" = OLD."BaseModel";
        END;
        CREATE TRIGGER custom_models_count_update
        AFTER UPDATE OF "OrganizationId", "TrainingStatus", "Language", "BaseModel" ON custom_models
        WHEN OLD."OrganizationId" <> NEW."OrganizationId" OR OLD."TrainingStatus" <> NEW."TrainingStatus"
          OR OLD."Language" <> NEW."Language" OR OLD."BaseModel" <> NEW."BaseModel"
        BEGIN
          UPDATE model_counts SET "Count" = "Count" - 1
          WHERE "OrganizationId" = OLD."OrganizationId" AND "TrainingStatus" = OLD."TrainingStatus"
            AND "Language" = OLD."Language" AND "BaseModel" = OLD."BaseModel";
          INSERT INTO model_counts ("OrganizationId", "TrainingStatus", "Language", "BaseModel", "Count")
          VALUES (NEW."OrganizationId", NEW."TrainingStatus", NEW."Language", NEW."BaseModel", 1)
          ON CONFLICT DO UPDATE SET "Count" = "Count" + 1;
        END;
        """;

    public const string Postgres = """
        CREATE FUNCTION custom_models_count() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE model_counts SET "Count" = "Count" - 1
            WHERE "OrganizationId" = OLD."OrganizationId" AND "TrainingStatus" = OLD."TrainingStatus"
              AND "Language" = OLD."Language" AND "BaseModel" = OLD."BaseModel";
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO model_counts ("OrganizationId", "TrainingStatus", "Language", "BaseModel", "Count")
            VALUES (NEW."OrganizationId", NEW."TrainingStatus", NEW."Language", NEW."BaseModel", 1)
            ON CONFLICT ("OrganizationId", "TrainingStatus", "Language", "BaseModel")
            DO UPDATE SET "Count" = model_counts."Count" + 1;
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER custom_models_count_insert_delete AFTER INSERT OR DELETE ON custom_models
          FOR EACH ROW EXECUTE FUNCTION custom_models_count();
        CREATE TRIGGER custom_models_count_update
          AFTER UPDATE OF "OrganizationId", "TrainingStatus", "Language", "BaseModel" ON custom_models
          FOR EACH ROW WHEN ((OLD."OrganizationId", OLD."TrainingStatus", OLD."Language", OLD."BaseModel")
            IS DISTINCT FROM (NEW."OrganizationId", NEW."TrainingStatus", NEW."Language", NEW."BaseModel"))
          EXECUTE FUNCTION custom_models_count();
        """;

    public const string DropPostgresFunction = "DROP FUNCTION IF EXISTS custom_models_count();";
}
