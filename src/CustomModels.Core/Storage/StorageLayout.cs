namespace CustomModels.Core.Storage;

/// <summary>
/// Where each file lives under the data folder, relative to it; the one place that knows. A row
/// that names a file stores the relative path given here, so the data folder can move.
/// <code>
/// tmp/{process}/…                           unfinished writes of one process (BlobStore, TempSweeper)
/// models/{model id}/data/{name}.txt|.audio  a data set's transcript and audio (data_sets row)
/// models/{model id}/artifacts/{attempt}/    a trained version (model_versions row; ModelArtifact)
/// models/{model id}/work/{attempt}/         a training attempt's scratch folder
/// transcriptions/{public id}/audio          a transcription's audio (transcriptions row)
/// transcriptions/{public id}/result-{attempt}.json, keyterms-{attempt}.arpa
/// keys/webhook-signing.key                  the server key webhook secrets derive from
/// custom-models.db                          the SQLite database, when the service runs on SQLite
/// g2p/                                      trained grapheme-to-phoneme models (CUSTOMMODELS_G2P_CACHE_DIR moves it)
/// languages/{language}/                     recognizers besides English (CUSTOMMODELS_LANGUAGES_DIR moves it)
/// </code>
/// </summary>
public static class StorageLayout
{
    public const string TempFolder = "tmp";
    public const string ModelsFolder = "models";
    public const string TranscriptionsFolder = "transcriptions";
    public const string SqliteDatabase = "custom-models.db";
    public const string PronouncerCacheFolder = "g2p";
    public const string LanguagesFolder = "languages";
    const string DataName = "data";
    const string ArtifactsName = "artifacts";
    const string WorkName = "work";

    /// <summary>Everything of one model: a delete of the model takes it whole.</summary>
    public static string ModelFolder(long modelId) => Path.Combine(ModelsFolder, modelId.ToString());

    /// <summary>The model id a folder under models/ is named for; null for a name <see cref="ModelFolder"/> never gives.</summary>
    public static long? ModelIdOfFolder(string name) =>
        long.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
        && id.ToString() == name ? id : null;

    public static string DataFolder(long modelId) => Path.Combine(ModelFolder(modelId), DataName);

    /// <summary>A data set's stored transcript; <paramref name="name"/> is the upload's own (a fresh GUID).</summary>
    public static string DataTranscript(long modelId, string name) => Path.Combine(DataFolder(modelId), name + ".txt");

    public static string DataAudio(long modelId, string name) => Path.Combine(DataFolder(modelId), name + ".audio");

    public static string ArtifactsFolder(long modelId) => Path.Combine(ModelFolder(modelId), ArtifactsName);

    /// <summary>A trained version's artifact, named for the training attempt that made it (see ModelArtifact for its files).</summary>
    public static string ArtifactFolder(long modelId, string artifactName) => Path.Combine(ArtifactsFolder(modelId), artifactName);

    public static string WorkFolders(long modelId) => Path.Combine(ModelFolder(modelId), WorkName);

    /// <summary>Where one attempt of a model's training works (a delete of the model takes it along).</summary>
    public static string WorkFolder(long modelId, string attemptName) => Path.Combine(WorkFolders(modelId), attemptName);

    /// <summary>A transcription's audio, result and keyterm model.</summary>
    public static string TranscriptionFolder(string publicId) => Path.Combine(TranscriptionsFolder, publicId);

    public static string TranscriptionAudio(string publicId) => Path.Combine(TranscriptionFolder(publicId), "audio");

    /// <summary>A transcription's result, named for the attempt that wrote it: two attempts never write one file.</summary>
    public static string TranscriptionResult(string publicId, string attemptName) =>
        Path.Combine(TranscriptionFolder(publicId), $"result-{attemptName}.json");

    /// <summary>The term model of a transcription's keyterms, for as long as one attempt decodes with it.</summary>
    public static string KeytermModel(string publicId, string attemptName) =>
        Path.Combine(TranscriptionFolder(publicId), $"keyterms-{attemptName}.arpa");

    /// <summary>The server key the webhook secrets are derived from.</summary>
    public static string WebhookSigningKey => Path.Combine("keys", "webhook-signing.key");
}
