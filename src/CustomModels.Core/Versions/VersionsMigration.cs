using CustomModels.Core.Data;
using CustomModels.Core.Listing;

namespace CustomModels.Core.Versions;

/// <summary>
/// The data part of the Versions migrations: every model trained before versions existed becomes
/// version 1 of itself (its artifact, metrics and evaluation), active; its queued transcriptions
/// will decode with that version. Its data ids are those of the data sets uploaded before its last
/// training started, its evaluation source what the pipeline would have chosen from them. The list's
/// stored JSON is cleared, since it now shows `active_version` (ListedJsonRenderer renders it again).
/// </summary>
public static class VersionsMigration
{
    const string Insert = """
        INSERT INTO model_versions ("ModelId", "Version", "CreatedAt", "JobId", "ArtifactName", "EvaluationSource", "DataIds",
            "WordErrorRate", "BaseWordErrorRate", "AccuracyImprovement", "CharacterErrorRate", "TrainingHours")
        SELECT m."Id", 1, COALESCE(m."FinishedTrainingAt", m."UpdatedAt"), NULL, m."ArtifactName",
            CASE WHEN EXISTS (SELECT 1 FROM training_data_sets d WHERE d."ModelId" = m."Id" AND d."Kind" = 2 AND d."AudioBlob" IS NOT NULL) THEN 'test_data'
                 WHEN m."WordErrorRate" IS NOT NULL THEN 'held_out_training_pairs'
                 ELSE 'none' END,
            '[' || COALESCE((DATA_IDS), '') || ']',
            m."WordErrorRate", m."BaseWordErrorRate", m."AccuracyImprovement", m."CharacterErrorRate", m."TrainingHours"
        FROM custom_models m WHERE m."ArtifactName" IS NOT NULL;
        UPDATE custom_models SET "ActiveVersion" = 1, "LastVersion" = 1 WHERE "ArtifactName" IS NOT NULL;
        UPDATE transcriptions SET "ModelVersion" = 1
            WHERE "ModelId" IN (SELECT "Id" FROM custom_models WHERE "ArtifactName" IS NOT NULL);
        UPDATE custom_models SET "ListedJson" = NULL;
        """;

    const string DataSetsBeforeTraining =
        "d.\"ModelId\" = m.\"Id\" AND (m.\"StartedTrainingAt\" IS NULL OR d.\"CreatedAt\" <= m.\"StartedTrainingAt\")";

    public static readonly string Sqlite = ListedJsonTriggers.DropSqlite + "\n"
        + Insert.Replace("DATA_IDS", $"SELECT group_concat(\"Id\", ',') FROM (SELECT d.\"Id\" FROM training_data_sets d WHERE {DataSetsBeforeTraining} ORDER BY d.\"Id\")")
        + "\n" + ListedJsonTriggers.Sqlite(ListedJsonTriggers.ShownColumns);

    public static readonly string Postgres = ListedJsonTriggers.DropPostgres + "\n"
        + Insert.Replace("DATA_IDS", $"SELECT string_agg(d.\"Id\"::text, ',' ORDER BY d.\"Id\") FROM training_data_sets d WHERE {DataSetsBeforeTraining}")
        + "\n" + ListedJsonTriggers.Postgres(ListedJsonTriggers.ShownColumns);

    public static readonly string DownSqlite = ListedJsonTriggers.DropSqlite + "\n" + ListedJsonTriggers.Sqlite(ListedJsonTriggers.FirstShownColumns)
        + "\nUPDATE custom_models SET \"ListedJson\" = NULL;";

    public static readonly string DownPostgres = ListedJsonTriggers.DropPostgres + "\n" + ListedJsonTriggers.Postgres(ListedJsonTriggers.FirstShownColumns)
        + "\nUPDATE custom_models SET \"ListedJson\" = NULL;";
}
