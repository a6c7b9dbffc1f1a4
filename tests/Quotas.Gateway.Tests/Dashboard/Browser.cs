using Microsoft.Playwright;

namespace Quotas.Gateway.Tests.Dashboard;

/// <summary>
/// One headless Chromium for a test class: Debian's browser (scripts/chromium.sh installs it and scripts/test.sh
/// passes its path in QUOTAS_TEST_CHROMIUM), driven by Playwright, which never downloads a browser of its own.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string ChromiumVariable = "QUOTAS_TEST_CHROMIUM";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        var path = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } set ? set : "/usr/bin/chromium";
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Chromium was not found at '{path}'. Run 'bash scripts/chromium.sh' (it installs Debian's chromium and prints its path) and set {ChromiumVariable} to that path; scripts/test.sh does both.");
        }

        // Expectations wait for the page, which refreshes on the server's schedule; generous, since the machine is shared.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    /// <summary>A new page in a context of its own (its own sessionStorage); console errors and page errors are collected.</summary>
    public async Task<(IPage Page, List<string> Errors)> NewPageAsync()
    {
        var context = await _browser!.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add($"{message.Text} ({message.Location})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add(error);
            }
        };
        return (page, errors);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
