namespace CustomModels.Core.Listing;

/// <summary>
/// The triggers that clear a model's listed JSON (<see cref="Models.CustomModel.ListedJson"/>) when
/// an update changes a column the list shows without rendering it anew (a bulk update, SQL from
/// outside): the list then renders that row from its columns until it is rendered again, and never
/// shows a stale one. An update that sets new listed JSON with the columns (every save through
/// AppDbContext) keeps it.
/// </summary>
public static class ListedJsonTriggers
{
    /// <summary>The columns the list showed when the triggers were first made (the ListedJson migration's).</summary>
    public const string FirstShownColumns = "\"Name\", \"Description\", \"Language\", \"BaseModel\", \"TrainingStatus\", \"TrainingProgress\", "
        + "\"TrainingError\", \"CreatedAt\", \"UpdatedAt\", \"StartedTrainingAt\", \"FinishedTrainingAt\", \"FailedAt\", "
        + "\"WordErrorRate\", \"BaseWordErrorRate\", \"AccuracyImprovement\", \"CharacterErrorRate\", \"TrainingHours\"";

    /// <summary>The columns the list shows now (<see cref="Models.ModelJson.Listed"/>); a migration that changes them makes the triggers again.</summary>
    public const string ShownColumns = FirstShownColumns + ", \"ActiveVersion\", \"StatusNote\"";

    public static string Sqlite(string shownColumns) => $"""
        CREATE TRIGGER custom_models_listed_json_stale AFTER UPDATE OF {shownColumns} ON custom_models
        WHEN NEW."ListedJson" IS OLD."ListedJson" AND NEW."ListedJson" IS NOT NULL
        BEGIN
          UPDATE custom_models SET "ListedJson" = NULL WHERE "Id" = NEW."Id";
        END;
        """;

    public static string Postgres(string shownColumns) => $"""
        CREATE FUNCTION custom_models_listed_json_stale() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW."ListedJson" IS NOT DISTINCT FROM OLD."ListedJson" THEN
            NEW."ListedJson" := NULL;
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER custom_models_listed_json_stale BEFORE UPDATE OF {shownColumns} ON custom_models
          FOR EACH ROW EXECUTE FUNCTION custom_models_listed_json_stale();
        """;

    public const string DropSqlite = "DROP TRIGGER IF EXISTS custom_models_listed_json_stale;";

    public const string DropPostgres = """
        DROP TRIGGER IF EXISTS custom_models_listed_json_stale ON custom_models;
        DROP FUNCTION IF EXISTS custom_models_listed_json_stale();
        """;
}
