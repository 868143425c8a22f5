using System.Text.Json;
using CustomModels.Core.Storage;
using CustomModels.Speech.Acoustic;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Lexicon;

namespace CustomModels.Core.Training;

/// <summary>
/// A trained model's artifact: the folder a training writes and a version serves from, and the one
/// place that knows its files. domain.arpa (the domain language model), domain.lm.bin (the same
/// model in sphinxbase's binary format, which the decoders read), words.dict (the words the
/// base dictionary lacks), model.json (<see cref="TrainedModelFile"/>), evaluation.json (the
/// <see cref="EvaluationReport"/>) and, when an adaptation was chosen, acoustic/ (the acoustic
/// model's files that differ from the base model's). A training writes it in its work folder; it
/// is then published whole under <see cref="StorageLayout.ArtifactFolder"/> and never changed.
/// </summary>
public sealed class ModelArtifact(string folder)
{
    const string LanguageModelFile = "domain.arpa";
    const string BinaryLanguageModelFile = "domain.lm.bin";
    const string DictionaryFile = "words.dict";
    const string ModelFile = "model.json";
    const string EvaluationFile = "evaluation.json";
    const string AcousticFolder = "acoustic";

    /// <summary>The artifact of a published version.</summary>
    public static ModelArtifact Of(BlobStore blobs, long modelId, string artifactName) =>
        new(blobs.FullPath(StorageLayout.ArtifactFolder(modelId, artifactName)));

    /// <summary>A new artifact being written (in a training's work folder), its folder created.</summary>
    public static ModelArtifact Create(string folder)
    {
        Directory.CreateDirectory(folder);
        return new ModelArtifact(folder);
    }

    public string Folder => folder;

    /// <summary>The domain language model (ARPA), which the training estimates straight into this file.</summary>
    public string LanguageModelPath => Path.Combine(folder, LanguageModelFile);

    /// <summary>The domain language model in sphinxbase's binary format (<see cref="BinaryLanguageModel"/>), written from the ARPA file.</summary>
    public string BinaryLanguageModelPath => Path.Combine(folder, BinaryLanguageModelFile);

    public string DictionaryPath => Path.Combine(folder, DictionaryFile);

    public void WriteDictionary(IEnumerable<Pronunciation> newWords) => PronouncingDictionary.Write(DictionaryPath, newWords);

    public Task WriteModelFileAsync(TrainedModelFile file, CancellationToken ct) =>
        File.WriteAllTextAsync(Path.Combine(folder, ModelFile), JsonSerializer.Serialize(file, EvaluationReport.Json), ct);

    public Task WriteEvaluationAsync(EvaluationReport report, CancellationToken ct) =>
        File.WriteAllTextAsync(Path.Combine(folder, EvaluationFile), JsonSerializer.Serialize(report, EvaluationReport.Json), ct);

    /// <summary>The adapted acoustic model's files (those that differ from the base model's), copied in.</summary>
    public void WriteAcousticModel(IEnumerable<string> files)
    {
        var target = Path.Combine(folder, AcousticFolder);
        Directory.CreateDirectory(target);
        foreach (var file in files)
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
    }

    /// <summary>
    /// The evaluation report, opened for reading. Opening it first and answering after means a
    /// delete of the version that comes later cannot break the answer (an open file stays readable).
    /// </summary>
    /// <exception cref="FileNotFoundException">or <see cref="DirectoryNotFoundException"/>: the version is gone.</exception>
    public FileStream OpenEvaluation() => File.OpenRead(Path.Combine(folder, EvaluationFile));

    /// <summary>The language model as the artifact's decoders load it.</summary>
    public CustomLanguageModel LoadLanguageModel()
    {
        var file = JsonSerializer.Deserialize<TrainedModelFile>(File.ReadAllText(Path.Combine(folder, ModelFile)), EvaluationReport.Json)
            ?? throw new DecoderException("the custom model's settings are missing");
        // Models trained before the binary existed have only the ARPA file.
        var languageModel = File.Exists(BinaryLanguageModelPath) ? BinaryLanguageModelPath : LanguageModelPath;
        return new CustomLanguageModel(languageModel, DictionaryPath, file.InterpolationWeight,
            file.LanguageWeight is { } lw && file.WordInsertionPenalty is { } wip ? new LanguageWeights(lw, wip) : null);
    }

    /// <summary>The decoder settings of the trained model: the base model's, with its adapted acoustic model's files when it has some.</summary>
    public DecoderSettings DecoderSettings(DecoderSettings baseSettings)
    {
        var acoustic = Path.Combine(folder, AcousticFolder);
        return Directory.Exists(acoustic) ? AdaptedAcousticModel.Apply(baseSettings, acoustic) : baseSettings;
    }
}

/// <summary>
/// model.json of an artifact: what a decoder needs besides the ARPA and dictionary files (and the
/// acoustic folder's, which <see cref="ModelArtifact.DecoderSettings"/> reads). The
/// language weight and insertion penalty are those tuned on development audio; without them
/// (no development split, or a model trained before tuning existed) the decoder's defaults.
/// AcousticAdaptation names the adaptation chosen ("none", "cmn", "mllr" or "map"; absent before adaptation existed).
/// </summary>
public sealed record TrainedModelFile(string Language, int Order, double InterpolationWeight,
    double? LanguageWeight = null, double? WordInsertionPenalty = null, string? AcousticAdaptation = null);
