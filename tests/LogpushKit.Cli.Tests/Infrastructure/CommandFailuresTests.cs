using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;

namespace LogpushKit.Cli.Tests.Infrastructure;

/// <summary>What the CLI prints for an exception: one line, an exit code, and never a secret.</summary>
public sealed class CommandFailuresTests
{
    [Fact]
    public void Classify_UnexpectedExceptionEchoingTheProcessToken_PrintedMasked()
    {
        // an exception LogpushKit did not expect (here: from an HTTP stack) that quotes a secret this process holds
        const string Token = "cli-own-token-QxT7v2mP9";
        SecretRedactor.Register(Token);
        var exception = new HttpRequestException($"proxy refused 'Authorization: Bearer {Token}' for https://user:hunter2pass@proxy.example:8080/client/v4/?token={Token}");

        var (code, message) = CommandFailures.Classify(exception, canceled: false);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith("unexpected error: HttpRequestException: proxy refused", message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2pass", message, StringComparison.Ordinal);
        Assert.Contains("https://user:***@proxy.example:8080/", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_IOExceptionWithSecretAndControlCharacters_OneMaskedLine()
    {
        var error = new StringWriter();

        var code = CommandFailures.Report(new IOException("s3://b/k\nforged: https://id:s3cr3t-value@host/x"), error, canceled: false);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal(@"logpushkit: s3://b/k\nforged: https://id:***@host/x" + Environment.NewLine, error.ToString());
    }
}
