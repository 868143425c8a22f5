namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Whether estimation shares its work between cores. The split never changes a result (each
/// part is computed as it would be alone and merged in a fixed order), so a single-threaded
/// run gives the same model; tests compare the two.
/// </summary>
internal sealed class Parallelism
{
    public static readonly Parallelism AllCores = Threads(Environment.ProcessorCount);
    public static readonly Parallelism SingleThreaded = Threads(1);

    private readonly ParallelOptions _options;

    private Parallelism(int threads) => _options = new ParallelOptions { MaxDegreeOfParallelism = threads };

    public static Parallelism Threads(int threads) => new(Math.Max(1, threads));

    public int ThreadCount => _options.MaxDegreeOfParallelism;

    public bool IsParallel => ThreadCount > 1;

    public void For(int fromInclusive, int toExclusive, Action<int> body)
    {
        if (!IsParallel)
        {
            for (var i = fromInclusive; i < toExclusive; i++) body(i);
            return;
        }
        Parallel.For(fromInclusive, toExclusive, _options, body);
    }

    public void Invoke(Action first, Action second)
    {
        if (!IsParallel)
        {
            first();
            second();
            return;
        }
        Parallel.Invoke(_options, first, second);
    }
}
