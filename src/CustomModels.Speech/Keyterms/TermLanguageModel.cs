using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Lexicon;

namespace CustomModels.Speech.Keyterms;

/// <summary>
/// The language model of one request's keyterms, interpolated with the request's model at run
/// time (<see cref="KeytermBias"/>). Its unigrams share all their mass equally among the terms'
/// words, so a term's first word may follow anything; a word inside a term predicts the term's
/// next word (and two words the third) with <see cref="ContinuationMass"/> shared among the
/// continuations seen, the rest backing off. Terms are whole phrases, not text: the sentence
/// marks have probability 0, and a word that is no term's word has probability 0 here (the set takes
/// it from the other models alone).
/// </summary>
public static class TermLanguageModel
{
    public const int MaxOrder = 3;

    /// <summary>The probability, inside a term, that the term goes on as written.</summary>
    public const double ContinuationMass = 0.9;

    /// <param name="terms">Each term's normalized words (at least one word each).</param>
    public static void WriteArpa(IReadOnlyList<IReadOnlyList<string>> terms, string path)
    {
        if (terms.Count == 0 || terms.Any(t => t.Count == 0))
            throw new ArgumentException("every term needs at least one word", nameof(terms));
        var order = Math.Min(MaxOrder, terms.Max(t => t.Count));

        // successors[n][context] = the words that follow the n-word context inside some term.
        var successors = new Dictionary<string, SortedSet<string>>[order];
        for (var n = 0; n < order; n++) successors[n] = new(StringComparer.Ordinal);
        foreach (var term in terms)
        {
            for (var end = 0; end < term.Count; end++)
            {
                for (var n = 0; n < order && n <= end; n++)
                {
                    var context = string.Join(' ', term.Skip(end - n).Take(n));
                    if (!successors[n].TryGetValue(context, out var set)) successors[n][context] = set = new(StringComparer.Ordinal);
                    set.Add(term[end]);
                }
            }
        }

        // log10 p(word | context) for every stored n-gram, lower orders first (backoffs need them).
        var probability = new Dictionary<string, double>[order];
        var unigrams = successors[0][""];
        probability[0] = unigrams.ToDictionary(w => w, _ => 1.0 / unigrams.Count, StringComparer.Ordinal);
        for (var n = 1; n < order; n++)
        {
            probability[n] = new(StringComparer.Ordinal);
            foreach (var (context, next) in successors[n])
                foreach (var word in next)
                    probability[n][context + " " + word] = ContinuationMass / next.Count;
        }

        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        writer.Write("\\data\\\n");
        for (var n = 0; n < order; n++) writer.Write($"ngram {n + 1}={probability[n].Count + (n == 0 ? 2 : 0)}\n");
        for (var n = 0; n < order; n++)
        {
            writer.Write($"\n\\{n + 1}-grams:\n");
            // The sentence marks, with no probability: pocketsphinx will not search a model without </s>.
            if (n == 0)
                foreach (var mark in new[] { BackoffLanguageModel.SentenceEnd, BackoffLanguageModel.SentenceStart })
                    writer.Write($"{BackoffLanguageModel.ImpossibleLogProbability.ToString(CultureInfo.InvariantCulture)} {mark}{(order > 1 ? " 0" : "")}\n");
            foreach (var (ngram, p) in probability[n].OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                writer.Write(Log10(p));
                writer.Write(' ');
                writer.Write(ngram);
                if (n + 1 < order)
                {
                    writer.Write(' ');
                    writer.Write(Log10(Backoff(ngram, n + 1)));
                }
                writer.Write('\n');
            }
        }
        writer.Write("\n\\end\\\n");

        // The mass a context leaves to its continuations' lower-order probabilities, spread over the
        // words it does not continue with; 1 for a context that no term continues.
        double Backoff(string context, int length)
        {
            if (length >= order || !successors[length].TryGetValue(context, out var next)) return 1;
            var shorter = length == 1 ? "" : context[(context.IndexOf(' ') + 1)..];
            var lowerMass = next.Sum(word => probability[length - 1][shorter.Length == 0 ? word : shorter + " " + word]);
            var left = 1 - lowerMass;
            // Every word of the model continues this context: the remaining mass has nowhere to go.
            return left <= 1e-9 ? 1e-9 : (1 - ContinuationMass) / left;
        }
    }

    static string Log10(double p) => Math.Log10(p).ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary>
/// One request's keyterms: the term model (<see cref="TermLanguageModel"/>, an ARPA file),
/// pronunciations of the words the recognizer lacks (every variant, a word's most likely first),
/// and the term model's interpolation weight: P(w|h) = (1 − Weight)·P_model(w|h) + Weight·P_terms(w|h).
/// <see cref="Identity"/> is the same for two requests exactly when their biases are: a decoder
/// that already searches with one need not build its search again for the other.
/// </summary>
public sealed record KeytermBias(string TermArpaPath, IReadOnlyList<Pronunciation> NewWords, double Weight, string Identity)
{
    /// <summary>
    /// The term model's weight when none is given. Chosen on synthesized training-like speech (see
    /// `bench/keyterms tune`), never on the evaluation audio of bench/keyterms.
    /// </summary>
    public const double DefaultWeight = 0.1;

    /// <summary>Writes the term model of the applied terms to <paramref name="termArpaPath"/>; null when none was applied.</summary>
    public static KeytermBias? Write(IEnumerable<KeytermOutcome> outcomes, string termArpaPath, double weight = DefaultWeight)
    {
        var applied = outcomes.Where(o => o.Applied).ToList();
        if (applied.Count == 0) return null;
        TermLanguageModel.WriteArpa(applied.Select(o => o.Words).ToList(), termArpaPath);
        // A word's variants, once each, in the order given (most likely first).
        var newWords = applied.SelectMany(o => o.NewWords).Distinct(PronunciationComparer.Instance).ToList();
        using var identity = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        identity.AppendData(File.ReadAllBytes(termArpaPath));
        identity.AppendData(Encoding.UTF8.GetBytes(weight.ToString("R", CultureInfo.InvariantCulture) + "\n"));
        foreach (var word in newWords) identity.AppendData(Encoding.UTF8.GetBytes(word + "\n"));
        return new KeytermBias(termArpaPath, newWords, weight, Convert.ToHexStringLower(identity.GetHashAndReset()));
    }

    sealed class PronunciationComparer : IEqualityComparer<Pronunciation>
    {
        public static readonly PronunciationComparer Instance = new();
        public bool Equals(Pronunciation? x, Pronunciation? y) =>
            x is not null && y is not null && x.Word == y.Word && x.Phones.SequenceEqual(y.Phones);
        public int GetHashCode(Pronunciation p) => HashCode.Combine(p.Word, string.Join(' ', p.Phones));
    }
}
