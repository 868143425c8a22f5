namespace CustomModels.Speech.Lexicon;

/// <summary>
/// Stage 1 of grapheme-to-phoneme training: splits each dictionary entry into graphones, pairs of
/// one or two letters with zero to two phones ("ph" → F, "x" → K S, "e" → nothing), the way
/// Phonetisaurus's many-to-many aligner does (Jiampojamarn et al. 2007). The graphone
/// probabilities are learned by expectation maximization over all segmentations of all entries
/// (forward-backward over each entry's lattice), then each entry takes its most probable
/// segmentation. An entry that cannot be segmented (more than two phones per letter) is left out.
/// </summary>
internal static class GraphoneAligner
{
    public const int MaxLetters = 2;
    public const int MaxPhones = 2;
    private const int Iterations = 8;

    /// <summary>The graphones of each entry, in order, as (letters, phones); null where none fits.</summary>
    /// <param name="progress">
    /// The fraction done after each pass over the entries (every iteration of expectation
    /// maximization, then the segmentation), the passes costing about the same.
    /// </param>
    public static IReadOnlyList<(string Letters, string[] Phones)[]?> Align(IReadOnlyList<Pronunciation> entries, Action<double>? progress = null)
    {
        var letterIds = new Dictionary<char, int>();
        var phoneIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var encoded = entries.Select(e => new Entry(
            e.Word.Select(c => IdOf(letterIds, c)).ToArray(),
            e.Phones.Select(p => IdOf(phoneIds, p)).ToArray())).ToArray();
        var space = new ChunkSpace(letterIds.Count, phoneIds.Count);

        // Uniform to start: the first expectation counts every segmentation alike.
        var probabilities = new double[space.Size];
        Array.Fill(probabilities, 1.0);
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            probabilities = Maximize(ExpectedCounts(encoded, probabilities, space));
            progress?.Invoke((iteration + 1.0) / (Iterations + 1));
        }

        var result = new (string, string[])[]?[entries.Count];
        Parallel.For(0, entries.Count, i =>
        {
            var path = BestSegmentation(encoded[i], probabilities, space);
            if (path is null) return;
            var word = entries[i].Word;
            var phones = entries[i].Phones;
            result[i] = path.Select(step => (word.Substring(step.Letter, step.Letters),
                phones.Skip(step.Phone).Take(step.Phones).ToArray())).ToArray();
        });
        progress?.Invoke(1);
        return result;
    }

    private static int IdOf<T>(Dictionary<T, int> ids, T item) where T : notnull
    {
        if (!ids.TryGetValue(item, out var id)) ids[item] = id = ids.Count;
        return id;
    }

    private sealed record Entry(int[] Letters, int[] Phones);

    private readonly record struct Step(int Letter, int Letters, int Phone, int Phones);

    /// <summary>Every (letters, phones) pair as one index into a flat table.</summary>
    private sealed class ChunkSpace(int letterCount, int phoneCount)
    {
        private readonly int _phoneChunks = 1 + phoneCount + phoneCount * phoneCount;

        public int Size => (letterCount + letterCount * letterCount) * _phoneChunks;

        public int Index(Entry entry, int letter, int letters, int phone, int phones)
        {
            var l = entry.Letters;
            var letterChunk = letters == 1 ? l[letter] : letterCount + l[letter] * letterCount + l[letter + 1];
            var p = entry.Phones;
            var phoneChunk = phones switch
            {
                0 => 0,
                1 => 1 + p[phone],
                _ => 1 + phoneCount + p[phone] * phoneCount + p[phone + 1],
            };
            return letterChunk * _phoneChunks + phoneChunk;
        }
    }

    private static double[] Maximize(double[] counts)
    {
        var total = counts.Sum();
        return total > 0 ? counts.Select(c => c / total).ToArray() : counts;
    }

    private static double[] ExpectedCounts(Entry[] entries, double[] probabilities, ChunkSpace space)
    {
        var total = new double[space.Size];
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, entries.Length, 4096),
            () => new double[space.Size],
            (range, _, counts) =>
            {
                for (var i = range.Item1; i < range.Item2; i++) AddExpectedCounts(entries[i], probabilities, space, counts);
                return counts;
            },
            counts =>
            {
                lock (total)
                {
                    for (var k = 0; k < total.Length; k++) total[k] += counts[k];
                }
            });
        return total;
    }

    /// <summary>Forward-backward over the entry's lattice of (letters consumed, phones consumed).</summary>
    private static void AddExpectedCounts(Entry entry, double[] probabilities, ChunkSpace space, double[] counts)
    {
        int n = entry.Letters.Length, m = entry.Phones.Length, width = m + 1;
        var forward = new double[(n + 1) * width];
        var backward = new double[(n + 1) * width];
        forward[0] = 1;
        for (var i = 0; i < n; i++)
        for (var j = 0; j <= m; j++)
        {
            if (forward[i * width + j] == 0) continue;
            for (var a = 1; a <= MaxLetters && i + a <= n; a++)
            for (var b = 0; b <= MaxPhones && j + b <= m; b++)
                forward[(i + a) * width + j + b] += forward[i * width + j] * probabilities[space.Index(entry, i, a, j, b)];
        }
        var z = forward[n * width + m];
        if (!(z > 0) || double.IsInfinity(z)) return;
        backward[n * width + m] = 1;
        for (var i = n - 1; i >= 0; i--)
        for (var j = m; j >= 0; j--)
        {
            double sum = 0;
            for (var a = 1; a <= MaxLetters && i + a <= n; a++)
            for (var b = 0; b <= MaxPhones && j + b <= m; b++)
            {
                var next = backward[(i + a) * width + j + b];
                if (next == 0) continue;
                var index = space.Index(entry, i, a, j, b);
                var p = probabilities[index];
                sum += p * next;
                counts[index] += forward[i * width + j] * p * next / z;
            }
            backward[i * width + j] = sum;
        }
    }

    private static List<Step>? BestSegmentation(Entry entry, double[] probabilities, ChunkSpace space)
    {
        int n = entry.Letters.Length, m = entry.Phones.Length, width = m + 1;
        var best = new double[(n + 1) * width];
        var from = new Step[(n + 1) * width];
        best[0] = 1;
        for (var i = 0; i < n; i++)
        for (var j = 0; j <= m; j++)
        {
            var here = best[i * width + j];
            if (here == 0) continue;
            for (var a = 1; a <= MaxLetters && i + a <= n; a++)
            for (var b = 0; b <= MaxPhones && j + b <= m; b++)
            {
                var score = here * probabilities[space.Index(entry, i, a, j, b)];
                var target = (i + a) * width + j + b;
                if (score <= best[target]) continue;
                best[target] = score;
                from[target] = new Step(i, a, j, b);
            }
        }
        if (!(best[n * width + m] > 0)) return null;
        var path = new List<Step>();
        for (int i = n, j = m; i > 0;)
        {
            var step = from[i * width + j];
            path.Add(step);
            (i, j) = (step.Letter, step.Phone);
        }
        path.Reverse();
        return path;
    }
}
