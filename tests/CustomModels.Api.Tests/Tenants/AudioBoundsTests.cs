using System.Net;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Speech.Tests.Audio;
using static CustomModels.Api.Tests.Infrastructure.TranscriptionClient;

namespace CustomModels.Api.Tests.Tenants;

/// <summary>An upload is audio of an accepted format within the length limit, or a 422 that keeps nothing.</summary>
public sealed class AudioBoundsTests : IAsyncLifetime
{
    TestService service = null!;
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("audio-bounds-");

    public async Task InitializeAsync() => service = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { RunWorker = false });

    public async Task DisposeAsync()
    {
        await service.DisposeAsync();
        work.Delete(recursive: true);
    }

    [Fact]
    public async Task A_playlist_naming_a_file_of_the_server_is_refused()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var wav = Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav");
        var playlist = Path.Combine(work.FullName, "visit.m3u8");
        await File.WriteAllTextAsync(playlist, $"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3.0,\n{wav}\n#EXT-X-ENDLIST\n");
        var concat = Path.Combine(work.FullName, "visit.mp3");
        await File.WriteAllTextAsync(concat, $"ffconcat version 1.0\nfile '{wav}'\n");

        foreach (var list in new[] { playlist, concat })
        {
            await (await client.PostAsync(Stt, Form(list))).AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "UNDECODABLE_AUDIO");
            var form = new MultipartFormDataContent { { new StringContent("test"), "type" } };
            form.Add(new StreamContent(File.OpenRead(list)), "audio_file", Path.GetFileName(list));
            form.Add(new StringContent("the patient"), "transcript_file", "visit.txt");
            await (await client.PutAsync($"{TrainingClient.Models}/{id}/data", form)).AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "UNDECODABLE_AUDIO");
        }
        Assert.Empty(DataFolder.TempFiles(service.Storage.DataDirectory));
        Assert.False(Directory.Exists(Path.Combine(service.Storage.DataDirectory, "transcriptions")));
        Assert.Equal(0, (int)(await (await client.GetAsync($"{TrainingClient.Models}/{id}/data")).AssertOkAsync())["count"]!);
    }

    [Fact]
    public async Task Audio_longer_than_the_limit_is_422_and_nothing_is_kept()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        // One second over the default limit of 14,400 s: silence, which FLAC keeps in under 3 MB.
        var longAudio = Path.Combine(work.FullName, "four-hours.flac");
        await FfmpegTool.RunAsync("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "14401", "-c:a", "flac", longAudio);

        var error = await (await client.PostAsync(Stt, Form(longAudio))).AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "AUDIO_TOO_LONG");
        Assert.Contains("14401 s", (string?)error["message"]);
        Assert.Empty(DataFolder.TempFiles(service.Storage.DataDirectory));
        Assert.Equal(0, (int)(await (await client.GetAsync(Stt)).AssertOkAsync())["count"]!);
    }
}
