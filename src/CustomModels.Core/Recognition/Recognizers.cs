using CustomModels.Core.Data;
using CustomModels.Core.Storage;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Audio;
using CustomModels.Speech.Settings;
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Recognition;

/// <summary>
/// Which languages can be trained and transcribed: those with a pocketsphinx recognizer installed.
/// English comes from Debian's pocketsphinx-en-us. Another language becomes trainable when an
/// operator puts its acoustic model, pronouncing dictionary and base language model under
/// `{CUSTOMMODELS_LANGUAGES_DIR or data folder/languages}/{code}/` as `acoustic-model/`,
/// `dictionary.dict` and `language-model.lm.bin` (or `language-model.arpa`).
/// </summary>
public sealed class Recognizers(StorageSettings storage, IOptions<AudioSettings> audio)
{
    public DecoderSettings? Find(string language) => FindInstalled(language) is { } settings
        ? settings with { MaxAudioSeconds = audio.Value.MaxSeconds }
        : null;

    readonly string LanguagesDirectory = EnvironmentSettings.Text("CUSTOMMODELS_LANGUAGES_DIR") ?? Path.Combine(storage.DataDirectory, StorageLayout.LanguagesFolder);

    DecoderSettings? FindInstalled(string language)
    {
        var folder = Path.Combine(LanguagesDirectory, language);
        var acoustic = Path.Combine(folder, "acoustic-model");
        var dictionary = Path.Combine(folder, "dictionary.dict");
        var lm = new[] { "language-model.lm.bin", "language-model.arpa" }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
        if (Directory.Exists(acoustic) && File.Exists(dictionary) && lm is not null)
            return new DecoderSettings { AcousticModelPath = acoustic, DictionaryPath = dictionary, LanguageModelPath = lm };

        var english = DecoderSettings.Default;
        if (language == "en" && Directory.Exists(english.AcousticModelPath) && File.Exists(english.DictionaryPath) && File.Exists(english.LanguageModelPath))
            return english;
        return null;
    }
}

/// <summary>
/// The longest audio accepted by an upload and decoded (CUSTOMMODELS_MAX_AUDIO_SECONDS, default
/// <see cref="AudioLimits.DefaultMaxSeconds"/>, decimals allowed); settings (see <see cref="SettingsOptions"/>).
/// </summary>
public sealed class AudioSettings
{
    public double MaxSeconds { get; set; } = AudioLimits.DefaultMaxSeconds;

    public void Read(SettingsReader settings) => MaxSeconds = settings.Positive("CUSTOMMODELS_MAX_AUDIO_SECONDS", MaxSeconds);
}
