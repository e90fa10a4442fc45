using PuppeteerSharp;
using Xunit.Abstractions;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>Runs only where Debian's chromium is installed (.ci/run installs it); elsewhere skipped with the reason.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Path))
        {
            Skip = $"Debian's chromium is not installed at {Path} (apt-get install -y chromium); the web page is not tested in a browser.";
        }
    }
}

/// <summary>The web page in headless Chromium against the real server: upload, overlay and score, threshold slider.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class WebPageBrowserTests(ServiceFixture fixture, ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task UploadedImagesShowOverlayScoreAndADecisionTheSliderChangesWithoutRescoring()
    {
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.Path,
            Headless = true,
            // Root in a container has no user namespace sandbox; the page is our own.
            Args = ["--no-sandbox", "--disable-gpu"],
        });
        await using var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1000, Height = 760 });
        await page.GoToAsync(fixture.Client.BaseAddress!.ToString(), WaitUntilNavigation.Networkidle0);
        await page.WaitForSelectorAsync("#model option[value='bottle']");

        var input = await page.QuerySelectorAsync("#files");
        await input.UploadFileAsync(fixture.Images[0], fixture.Images[^1]);
        await page.WaitForSelectorAsync(".result:nth-child(2) .overlay[src^='data:image/png']");
        var scores = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('.result .score')].map(e => e.textContent)");
        scores.Should().HaveCount(2).And.OnlyContain(s => s.Length > 0);
        (await page.EvaluateExpressionAsync<bool>("[...document.querySelectorAll('.result .overlay')].every(i => i.complete && i.naturalWidth === 64)")).Should().BeTrue();
        (await page.EvaluateExpressionAsync<bool>("document.querySelector('.bar img').complete && document.querySelector('.bar img').naturalWidth === 256")).Should().BeTrue("the colour bar is served by the app");

        var requests = 0;
        page.Request += (_, _) => Interlocked.Increment(ref requests);
        await page.FocusAsync("#threshold");
        await page.Keyboard.PressAsync("Home");
        var atLowest = await Decisions(page);
        await page.Keyboard.PressAsync("End");
        var atHighest = await Decisions(page);
        atLowest.Should().Equal("anomalous", "anomalous");
        atHighest.Should().NotEqual(atLowest, "moving the threshold above the scores re-decides");
        atHighest.Should().Contain("normal");
        requests.Should().Be(0, "the slider re-decides from the returned scores without scoring again");

        await page.Keyboard.PressAsync("Home");
        var screenshot = Path.Combine(AppContext.BaseDirectory, "artifacts", "web-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");
        new FileInfo(screenshot).Length.Should().BeGreaterThan(0);
    }

    private static Task<string[]> Decisions(IPage page) =>
        page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('.result .decision')].map(e => e.textContent)");
}
