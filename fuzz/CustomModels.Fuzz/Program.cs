using CustomModels.Fuzz;

// custom-models-fuzz TARGET        runs TARGET under afl-fuzz (scripts/fuzz.sh starts it so)
// custom-models-fuzz TARGET FILE   runs TARGET once on FILE, to reproduce a crash that afl-fuzz saved
//                                  (with the uninstrumented build: instrumented code runs only under afl-fuzz)
if (args.Length is < 1 or > 2 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: custom-models-fuzz {string.Join("|", FuzzTargets.All.Keys)} [FILE]");
    return 2;
}
if (args.Length == 2)
{
    target(File.ReadAllBytes(args[1]));
    Console.WriteLine("no crash");
    return 0;
}
SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
{
    using var input = new MemoryStream();
    stream.CopyTo(input);
    target(input.ToArray());
});
return 0;
