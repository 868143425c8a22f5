using System.Text.RegularExpressions;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Models;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CustomModels.Api.Tests.Dashboard;

/// <summary>
/// The dashboard at `/` in a real browser against the real service: every action goes through the
/// page as a user would do it, and every test fails if the page logged a console error.
/// </summary>
public sealed class DashboardTests(DashboardBrowser fixture) : IClassFixture<DashboardBrowser>, IDisposable
{
    readonly TestService service = fixture.Service;
    readonly string folder = Path.Combine(Path.GetTempPath(), "custom-models-dashboard", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_user_creates_a_model_uploads_data_trains_it_and_reads_the_evaluation()
    {
        var org = await service.CreateOrganizationAsync();
        var pairs = LibrivoxPairs.Write(folder);
        await using var tab = await fixture.OpenAsync();
        var page = tab.Page;
        await tab.SignInAsync(org.Key);

        await page.GetByLabel("Name").FillAsync("Librivox tiny");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create model" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Librivox tiny", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("Model created. Upload training data to begin.")).ToBeVisibleAsync();

        // Three training pairs in one choice of files (paired by name), one evaluation pair, and a
        // text corpus dropped onto the drop zone.
        var uploads = page.GetByRole(AriaRole.List, new() { Name = "Uploads" }).Locator("li");
        await page.GetByLabel("Or choose files").SetInputFilesAsync(pairs.Take(3).SelectMany(p => new[] { p.Audio, p.Transcript }));
        await Expect(uploads.Filter(new() { HasText = "Uploaded" })).ToHaveCountAsync(3, new() { Timeout = 60_000 });
        await page.GetByLabel("Use as").SelectOptionAsync("test");
        await page.GetByLabel("Or choose files").SetInputFilesAsync([pairs[4].Audio, pairs[4].Transcript]);
        await page.GetByLabel("Use as").SelectOptionAsync("train");
        var dropped = await page.EvaluateHandleAsync(
            "text => { const d = new DataTransfer(); d.items.add(new File([text], 'clinic-letters.txt', { type: 'text/plain' })); return d; }",
            "the patient has atrial fibrillation and takes apixaban\nshe was not a disposed woman\n");
        await page.DispatchEventAsync("#dropzone", "drop", new Dictionary<string, object> { ["dataTransfer"] = dropped });
        await Expect(uploads.Filter(new() { HasText = "Uploaded" })).ToHaveCountAsync(5, new() { Timeout = 60_000 });
        // And a pronunciation list, sent as the pronunciation file it is.
        await page.GetByLabel("Use as").SelectOptionAsync("pronunciation");
        await page.GetByLabel("Or choose files").SetInputFilesAsync(new FilePayload { Name = "drug-names.txt", MimeType = "text/plain", Buffer = "apixaban\ta pix a ban\nfibrillation\tfib rill ay shun\n"u8.ToArray() });
        await Expect(uploads.Filter(new() { HasText = "Uploaded" })).ToHaveCountAsync(6, new() { Timeout = 60_000 });
        await page.GetByLabel("Use as").SelectOptionAsync("train");
        Assert.Equal(6, await uploads.Locator("progress[value='100']").CountAsync());
        var dataRows = page.Locator("section[aria-labelledby='data-title'] tbody tr");
        await Expect(dataRows).ToHaveCountAsync(6);
        await Expect(dataRows.Filter(new() { HasText = "clinic-letters.txt" })).ToContainTextAsync("text only");
        await Expect(dataRows.Filter(new() { HasText = "drug-names.txt" })).ToContainTextAsync("pronunciation");
        await Expect(dataRows.Filter(new() { HasText = "drug-names.txt" }).Locator("td").Nth(2)).ToHaveTextAsync("2 entries");
        await Expect(page.GetByText("Data uploaded. Ready to start training.")).ToBeVisibleAsync();
        await AssertEveryControlLabelled(page);

        // A refused upload shows the API's own message and adds nothing.
        tab.ExpectRefusal(422);
        await page.GetByLabel("Or choose files").SetInputFilesAsync(new FilePayload { Name = "empty.txt", MimeType = "text/plain", Buffer = "   \n"u8.ToArray() });
        await Expect(uploads.Last.Locator(".outcome.error")).Not.ToBeEmptyAsync(new() { Timeout = 30_000 });
        await Expect(dataRows).ToHaveCountAsync(6);

        // Run, and watch the progress bar move until the model is trained.
        await page.GetByRole(AriaRole.Button, new() { Name = "Run training" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel training" })).ToBeVisibleAsync();
        var seen = new List<int>();
        var trained = page.Locator("h1 .badge", new() { HasText = "Trained" });
        while (!await trained.IsVisibleAsync())
        {
            var bar = page.Locator("#training-progress");
            if (await bar.CountAsync() == 1 && int.TryParse(await bar.GetAttributeAsync("value"), out var value)
                && (seen.Count == 0 || seen[^1] != value)) seen.Add(value);
            await page.WaitForTimeoutAsync(250);
            tab.AssertNoConsoleErrors();
            Assert.False(await page.Locator(".badge.status-5").IsVisibleAsync(), await page.Locator("#main").InnerTextAsync());
        }
        Assert.Equal(seen.Order(), seen); // the bar only moves forward
        Assert.Contains(seen, v => v is > 0 and < 100); // and was seen between start and end
        await Expect(page.GetByText("Training completed successfully")).ToBeVisibleAsync();
        await Expect(page.Locator("#training-progress")).ToHaveAttributeAsync("value", "100");
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Word error rate\\. Version 1 \\(active\\): base \\d") })).ToBeVisibleAsync();
        await tab.ScreenshotAsync("model");

        // The evaluation: the one test utterance aligned three ways, its coloured errors as many as the API counted.
        await page.GetByRole(AriaRole.Link, new() { Name = "Open the evaluation report" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Evaluation report" })).ToBeVisibleAsync();
        var utterance = page.Locator("table.utterances > tbody > tr");
        await Expect(utterance).ToHaveCountAsync(1);
        var referenceWords = (await utterance.Locator("tr.ref td").AllInnerTextsAsync()).Where(w => w.Length > 0);
        Assert.Equal("he might even have been made amiable himself", string.Join(' ', referenceWords));
        foreach (var (row, column) in new[] { ("base", 1), ("custom", 2) })
        {
            var counted = await utterance.Locator("td").Nth(column - 1).InnerTextAsync(); // "0 S · 0 D · 1 I of 8"
            var numbers = Regex.Matches(counted, @"\d+").Select(m => int.Parse(m.Value)).ToArray();
            Assert.Equal(numbers[0], await utterance.Locator($"tr.{row} td.op-S").CountAsync());
            Assert.Equal(numbers[1], await utterance.Locator($"tr.{row} td.op-D").CountAsync());
            Assert.Equal(numbers[2], await utterance.Locator($"tr.{row} td.op-I").CountAsync());
        }
        var newWords = page.Locator("table.new-words tbody tr");
        await Expect(newWords.Filter(new() { HasText = "apixaban" })).ToHaveCountAsync(1);
        var pronunciations = await newWords.Filter(new() { HasText = "apixaban" }).Locator("code").AllInnerTextsAsync();
        Assert.NotEmpty(pronunciations);
        Assert.All(pronunciations, p => Assert.Matches("^[A-Z]+( [A-Z]+)+$", p));
        await tab.ScreenshotAsync("evaluation");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Models" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Librivox tiny" })).ToBeVisibleAsync();
        await tab.ScreenshotAsync("models");
        tab.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_transcription_plays_with_the_spoken_word_highlighted_and_downloads_as_srt()
    {
        var org = await service.CreateOrganizationAsync();
        var audio = Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav"); // "he was not an ill disposed young man"
        await using var tab = await fixture.OpenAsync();
        var page = tab.Page;
        await tab.SignInAsync(org.Key);

        await page.GetByRole(AriaRole.Link, new() { Name = "Transcriptions" }).ClickAsync();
        await page.GetByLabel("Audio file", new() { Exact = true }).SetInputFilesAsync(audio);
        await page.GetByRole(AriaRole.Button, new() { Name = "Transcribe" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Download SRT" })).ToBeVisibleAsync(new() { Timeout = 120_000 });
        var words = page.Locator("button.word");
        await Expect(words).ToHaveCountAsync(8);
        await Expect(page.Locator(".transcript")).ToContainTextAsync("young man");

        // A click on a word plays from it; the highlight follows the audio from word to word.
        var current = page.Locator("button.word.current");
        await Expect(current).ToHaveCountAsync(0);
        // At a quarter of the speed: the 3 s recording lasts 12 s, long enough for a busy machine to watch it.
        await page.EvaluateAsync("() => { const a = document.querySelector('audio'); a.defaultPlaybackRate = 0.25; a.playbackRate = 0.25; }");
        await words.Nth(0).ClickAsync();
        await Expect(current).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        var first = await current.InnerTextAsync();
        await page.WaitForFunctionAsync("first => { const c = document.querySelector('button.word.current'); return c && c.textContent !== first; }",
            first, new() { Timeout = 10_000 });
        var later = await page.EvaluateAsync<double>("document.querySelector('audio').currentTime");
        Assert.True(later > 0, $"audio time {later}");

        // A click on a later word seeks there (played slowly, so that a busy machine still sees it current).
        await page.EvaluateAsync("() => { const a = document.querySelector('audio'); a.pause(); a.defaultPlaybackRate = 0.1; a.playbackRate = 0.1; }");
        await words.Filter(new() { HasText = "young" }).ClickAsync();
        await Expect(current).ToHaveTextAsync(new Regex("^(young|man)$"), new() { Timeout = 10_000 });
        await page.EvaluateAsync("document.querySelector('audio').pause()");
        await AssertEveryControlLabelled(page);
        await tab.ScreenshotAsync("transcription");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download SRT" }).ClickAsync());
        Assert.Equal("sense_and_sensibility_01_austen_64kb-0880.srt", download.SuggestedFilename);
        var srt = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.Matches(@"^1\r?\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\r?\n", srt);
        Assert.Contains("young man", srt);
        tab.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_read_only_key_sees_everything_and_no_write_control()
    {
        var org = await service.CreateOrganizationAsync();
        var pairs = LibrivoxPairs.Write(folder);
        var client = org.Client();
        var model = await client.CreateModelAsync(name: "Shared model");
        await client.UploadPairAsync((long)model["id"]!, "train", pairs[0].Audio, pairs[0].Transcript);
        var readOnly = await service.CreateKeyAsync(org.Organization.Id, [Scopes.ModelsRead, Scopes.SttRead]);
        await using var tab = await fixture.OpenAsync(390, 844); // a phone
        var page = tab.Page;
        await tab.SignInAsync(readOnly);

        await Expect(page.GetByText(new Regex("read only$"))).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Shared model" })).ToBeVisibleAsync();
        await AssertNoWriteControls(page);
        await tab.ScreenshotAsync("models-phone-read-only");

        await page.GetByRole(AriaRole.Link, new() { Name = "Shared model" }).ClickAsync();
        await Expect(page.Locator("section[aria-labelledby='data-title'] tbody tr")).ToHaveCountAsync(1);
        await Expect(page.GetByText("Data uploaded. Ready to start training.")).ToBeVisibleAsync();
        await AssertNoWriteControls(page);

        await page.GetByRole(AriaRole.Link, new() { Name = "Transcriptions" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your transcriptions" })).ToBeVisibleAsync();
        await AssertNoWriteControls(page);
        tab.AssertNoConsoleErrors();
    }

    /// <summary>Every control has a name a screen reader reads: a label, an aria-label or (a button) its text.</summary>
    static async Task AssertEveryControlLabelled(IPage page)
    {
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input, select, textarea, button, audio')]
              .filter(c => !(c.labels?.length || c.getAttribute('aria-label') || (c.tagName === 'BUTTON' && c.textContent.trim())))
              .map(c => c.outerHTML.slice(0, 120))
            """);
        Assert.Empty(unlabelled);
        Assert.True(await page.Locator("input, select, textarea, button, audio").CountAsync() > 0);
    }

    static async Task AssertNoWriteControls(IPage page)
    {
        // Buttons a read-only key has no use for, by name, and anything to type into or upload with.
        var writes = new Regex("create|run|retry|cancel|save|delete|transcribe|upload", RegexOptions.IgnoreCase);
        var buttons = await page.Locator("main button").AllInnerTextsAsync();
        Assert.DoesNotContain(buttons, b => writes.IsMatch(b));
        Assert.Equal(0, await page.Locator("main input, main textarea, main [id='dropzone']").CountAsync());
    }

    [Fact]
    public async Task A_refused_key_is_told_in_a_sentence_and_the_key_stays_out_of_the_url_and_cookies()
    {
        var org = await service.CreateOrganizationAsync();
        var revoked = await service.CreateKeyAsync(org.Organization.Id, [Scopes.ModelsRead]);
        await service.RevokeAsync(revoked);
        await using var tab = await fixture.OpenAsync();
        var page = tab.Page;

        await page.GetByLabel("API key").FillAsync("cmk_not_a_key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("This API key was not accepted: it is unknown or mistyped. Check it and sign in again.");
        await page.GetByLabel("API key").FillAsync(revoked);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("This API key has been revoked. Sign in with a current key.");

        // By keyboard alone: the key field has the focus to type into, Enter signs in.
        await page.GetByLabel("API key").FillAsync("");
        await page.Keyboard.TypeAsync(org.Key);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
        // A reload keeps the tab signed in (sessionStorage) and starts the focus at the top of the page.
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to content", await page.EvaluateAsync<string>("document.activeElement.textContent"));
        Assert.DoesNotContain(org.Key, page.Url);
        Assert.Empty(await page.Context.CookiesAsync());
        Assert.Equal(org.Key, await page.EvaluateAsync<string>("sessionStorage.getItem('custom-models.api-key')"));
        Assert.Null(await page.EvaluateAsync<string?>("localStorage.getItem('custom-models.api-key')"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('custom-models.api-key')"));
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();

        // The browser reports each refused request itself; those two 401s are the only console errors.
        Assert.Equal(2, tab.ConsoleErrors.Count);
        tab.ExpectRefusal(401);
        tab.ExpectRefusal(401);
        tab.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Over_the_rate_limit_the_page_says_so_and_tries_again_when_retry_after_says()
    {
        var org = await service.CreateOrganizationAsync();
        var key = await service.CreateKeyAsync(org.Organization.Id, [Scopes.ModelsRead], requestsPerMinute: 2);
        await using var tab = await fixture.OpenAsync();
        var page = tab.Page;
        await tab.SignInAsync(key); // 1: GET /key, 2: the models list

        // Each change of filter is one list request: within two windows of two, one is refused.
        var notice = page.GetByRole(AriaRole.Status).Filter(new() { HasTextRegex = new Regex("^Too many requests for this API key: trying again in \\d+ seconds?\\.$") });
        var statuses = new[] { "1", "2", "3", "4", "5" };
        for (var i = 0; !await notice.IsVisibleAsync(); i++)
        {
            Assert.True(i < statuses.Length, "no request was refused");
            // Marks the page shown now, then waits for the next one to be answered or refused.
            await page.EvaluateAsync("document.querySelector('#main h1').dataset.previous = 'yes'");
            await page.GetByLabel("Status").SelectOptionAsync(statuses[i]);
            await page.WaitForFunctionAsync("""
                () => { const h1 = document.querySelector('#main h1');
                        return h1 && !h1.dataset.previous && (!document.getElementById('notice').hidden || document.querySelector('#main table, #main .pager')); }
                """);
        }
        // The refused request is sent again once the window the API named has passed, and answered.
        await Expect(notice).ToBeHiddenAsync(new() { Timeout = 75_000 });
        await Expect(page.GetByText("No models match these filters.")).ToBeVisibleAsync();
        tab.ExpectRefusal(429);
        tab.AssertNoConsoleErrors();
    }

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
