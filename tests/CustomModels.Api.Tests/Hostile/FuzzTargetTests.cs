using CsCheck;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Fuzz;

namespace CustomModels.Api.Tests.Hostile;

/// <summary>
/// The fuzz targets of fuzz/CustomModels.Fuzz, run in-process without afl-fuzz: over their
/// committed seeds (crashes afl-fuzz found are kept there too) and thousands of inputs made by
/// mutating the seeds, so `make test` holds every target to its contract (parse, or refuse with
/// the project's own exception). `make fuzz` explores much further with afl-fuzz.
/// </summary>
public sealed class FuzzTargetTests
{
    public static TheoryData<string> Targets => new(FuzzTargets.All.Keys);

    static byte[][] Seeds(string target) =>
        Directory.GetFiles(Path.Combine(TestAudio.RepositoryRoot, "fuzz", "corpus", target)).Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes).ToArray();

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_keeps_the_contract(string target)
    {
        var seeds = Seeds(target);
        Assert.NotEmpty(seeds);
        foreach (var seed in seeds) FuzzTargets.All[target](seed);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Mutated_seeds_keep_the_contract(string target)
    {
        var seeds = Seeds(target);
        var run = FuzzTargets.All[target];
        Mutations(seeds).Sample(input => run(input), iter: 3000, threads: 1);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Random_bytes_keep_the_contract(string target)
    {
        var run = FuzzTargets.All[target];
        Gen.Byte.Array[0, 512].Sample(input => run(input), iter: 1000, threads: 1);
    }

    /// <summary>A seed with one to eight edits, afl-style: flip a byte, insert one, delete a run, or copy a run elsewhere.</summary>
    static Gen<byte[]> Mutations(byte[][] seeds) =>
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Select(Gen.Int[0, 3], Gen.Double[0, 1], Gen.Double[0, 1], Gen.Byte).Array[1, 8])
            .Select((seed, edits) =>
            {
                var bytes = seeds[seed].ToList();
                foreach (var (kind, at, span, value) in edits)
                {
                    var i = (int)(at * bytes.Count);
                    var length = Math.Min(1 + (int)(span * 16), bytes.Count - i);
                    switch (kind)
                    {
                        case 0 when i < bytes.Count: bytes[i] = value; break;
                        case 1: bytes.Insert(i, value); break;
                        case 2 when length > 0: bytes.RemoveRange(i, length); break;
                        case 3 when length > 0: bytes.InsertRange((int)(span * bytes.Count), bytes.GetRange(i, length)); break;
                    }
                }
                return bytes.ToArray();
            });
}
