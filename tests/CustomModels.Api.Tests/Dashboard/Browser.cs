using CustomModels.Api.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CustomModels.Api.Tests.Dashboard;

/// <summary>
/// The service on SQLite and Debian's Chromium driven by Playwright, shared by a class's tests.
/// The browser is the machine's own (scripts/install-deps.sh installs `chromium`); none is downloaded.
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    public TestService Service { get; private set; } = null!;
    IPlaywright playwright = null!;
    IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        Service = await TestService.StartAsync(DatabaseKind.Sqlite);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. The autoplay
            // policy lets a test start the player without a real user's gesture.
            Args = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        });
    }

    /// <summary>A new tab (its own sessionStorage) that records every console error and uncaught exception.</summary>
    public async Task<DashboardPage> OpenAsync(int width = 1280, int height = 800)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Service.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        var tab = new DashboardPage(context, page);
        page.Console += (_, message) => { if (message.Type == "error") tab.ConsoleErrors.Add(message.Text); };
        page.PageError += (_, error) => tab.ConsoleErrors.Add("uncaught: " + error);
        await page.GotoAsync("/");
        return tab;
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await Service.DisposeAsync();
    }
}

public sealed class DashboardPage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IPage Page { get; } = page;
    public List<string> ConsoleErrors { get; } = [];
    readonly List<int> expectedRefusals = [];

    /// <summary>
    /// A request the test makes the API refuse on purpose: Chromium itself logs each answer of 4xx as a
    /// console error ("Failed to load resource: … status of 422"); one such line is then not a failure.
    /// </summary>
    public void ExpectRefusal(int status) => expectedRefusals.Add(status);

    public IReadOnlyList<string> UnexpectedConsoleErrors()
    {
        var allowed = new List<int>(expectedRefusals);
        return ConsoleErrors.Where(e =>
        {
            var status = allowed.FirstOrDefault(s => e.Contains($"Failed to load resource: the server responded with a status of {s} "));
            return status == 0 || !allowed.Remove(status);
        }).ToList();
    }

    public async Task SignInAsync(string key)
    {
        await Page.GetByLabel("API key").FillAsync(key);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    /// <summary>A picture of the page for the README: under artifacts/screenshots, or where CUSTOMMODELS_SCREENSHOTS_DIR says (docs/screenshots refreshes the README's).</summary>
    public async Task ScreenshotAsync(string name)
    {
        var folder = Environment.GetEnvironmentVariable("CUSTOMMODELS_SCREENSHOTS_DIR") is { Length: > 0 } dir
            ? Path.GetFullPath(dir, TestAudio.RepositoryRoot)
            : Path.Combine(TestAudio.RepositoryRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    /// <summary>Every test ends here: a page that logged a console error fails it.</summary>
    public void AssertNoConsoleErrors()
    {
        var unexpected = UnexpectedConsoleErrors();
        Assert.True(unexpected.Count == 0, "console errors:\n" + string.Join("\n", unexpected));
    }

    public async ValueTask DisposeAsync() => await context.DisposeAsync();
}

/// <summary>The librivox recordings of Debian's pocketsphinx-testdata with their transcripts as files.</summary>
public static class LibrivoxPairs
{
    public static IReadOnlyList<(string Audio, string Transcript)> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var pairs = new List<(string, string)>();
        foreach (var line in File.ReadAllLines(Path.Combine(TestAudio.Librivox, "transcription")))
        {
            // "<s> he was not an ill disposed young man </s> (sense_and_sensibility_01_austen_64kb-0880)"
            var id = line[(line.LastIndexOf('(') + 1)..line.LastIndexOf(')')];
            var text = line[..line.IndexOf("</s>", StringComparison.Ordinal)].Replace("<s>", "").Trim();
            var transcript = Path.Combine(folder, id + ".txt");
            File.WriteAllText(transcript, text + "\n");
            pairs.Add((Path.Combine(TestAudio.Librivox, id + ".wav"), transcript));
        }
        return pairs;
    }
}
