namespace CustomModels.Speech.Audio;

/// <summary>What ffprobe found in an audio file: container, first audio stream, duration.</summary>
public sealed record AudioInfo(string Format, string Codec, double DurationSeconds, int Channels, int SampleRate);
