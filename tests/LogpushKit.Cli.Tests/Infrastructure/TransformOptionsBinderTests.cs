using System.CommandLine;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Tests.Infrastructure;

public sealed class TransformOptionsBinderTests
{
    private static (TransformOptionsBinder Binder, ParseResult Result) Parse(params string[] args)
    {
        var command = new Command("t");
        var binder = TransformOptionsBinder.AddTo(command);
        return (binder, command.Parse(args));
    }

    [Fact]
    public void Bind_NoOptions_GivesTheDefaults()
    {
        var (binder, result) = Parse();

        Assert.Empty(result.Errors);
        Assert.Equal(TransformOptions.Default, binder.Bind(result));
    }

    [Fact]
    public void Bind_EveryOption_MapsToTransformOptions()
    {
        var (binder, result) = Parse(
            "--fields", "a, b", "--fields", "Datetime", "--no-header", "--dataset", "gateway_http", "--input-format", "ndjson", "--delimiter", "\\t",
            "--crlf", "--bom", "--timestamps", "rfc3339ms", "--timestamp-fields", "Datetime", "--timestamp-input", "unixnano",
            "--time-zone", "Europe/Berlin", "--on-bad-line", "skip", "--fail-on-unknown-keys", "--escape-formulas", "--max-line-bytes", "64K", "--max-output-bytes", "512M");

        Assert.Empty(result.Errors);
        var options = binder.Bind(result);
        Assert.Equal(["a", "b", "Datetime"], options.Fields);
        Assert.False(options.WriteHeader);
        Assert.Equal("gateway_http", options.Dataset);
        Assert.Equal(LogpushInputFormat.Ndjson, options.InputFormat);
        Assert.Equal('\t', options.Delimiter);
        Assert.Equal(CsvRowEnding.CrLf, options.RowEnding);
        Assert.True(options.WriteBom);
        Assert.Equal(TimestampOutputFormat.Rfc3339Ms, options.TimestampOutput);
        Assert.Null(options.TimestampCustomFormat);
        Assert.Equal(["Datetime"], options.TimestampFields);
        Assert.Equal(LogpushTimestampFormat.UnixNano, options.TimestampInput);
        Assert.Equal("Europe/Berlin", options.TimeZone.Id);
        Assert.Equal(BadLinePolicy.Skip, options.OnBadLine);
        Assert.True(options.FailOnUnknownKeys);
        Assert.True(options.EscapeFormulas);
        Assert.Equal(64 << 10, options.MaxLineBytes);
        Assert.Equal(512L << 20, options.MaxDecompressedBytes);
    }

    [Theory]
    [InlineData("rfc3339", TimestampOutputFormat.Rfc3339, null)]
    [InlineData("RFC3339", TimestampOutputFormat.Rfc3339, null)]
    [InlineData("unix", TimestampOutputFormat.Unix, null)]
    [InlineData("unixms", TimestampOutputFormat.UnixMs, null)]
    [InlineData("unixnano", TimestampOutputFormat.UnixNano, null)]
    [InlineData("custom:yyyy-MM-dd HH:mm:ss", TimestampOutputFormat.Custom, "yyyy-MM-dd HH:mm:ss")]
    [InlineData("CUSTOM:dd.MM.yyyy", TimestampOutputFormat.Custom, "dd.MM.yyyy")]
    public void Bind_Timestamps_MapsNamedAndCustomFormats(string text, TimestampOutputFormat expected, string? custom)
    {
        var (binder, result) = Parse("--timestamps", text, "--dataset", "gateway_http");

        Assert.Empty(result.Errors);
        var options = binder.Bind(result);
        Assert.Equal(expected, options.TimestampOutput);
        Assert.Equal(custom, options.TimestampCustomFormat);
    }

    [Theory]
    [InlineData(",", ',')]
    [InlineData(";", ';')]
    [InlineData("|", '|')]
    [InlineData("tab", '\t')]
    [InlineData("\\t", '\t')]
    [InlineData("\t", '\t')]
    public void Bind_Delimiter_AcceptsOneCharOrTab(string text, char expected)
    {
        var (binder, result) = Parse("--delimiter", text);

        Assert.Empty(result.Errors);
        Assert.Equal(expected, binder.Bind(result).Delimiter);
    }

    [Theory]
    [InlineData("utc")]
    [InlineData("UTC")]
    [InlineData("local")]
    [InlineData("America/New_York")]
    public void Bind_TimeZone_AcceptsIanaUtcAndLocal(string zone)
    {
        var (binder, result) = Parse("--timestamps", "rfc3339", "--timestamp-fields", "a", "--time-zone", zone);

        Assert.Empty(result.Errors);
        var expected = zone switch
        {
            "utc" or "UTC" => TimeZoneInfo.Utc,
            "local" => TimeZoneInfo.Local,
            _ => TimeZoneInfo.FindSystemTimeZoneById(zone),
        };
        Assert.Equal(expected.Id, binder.Bind(result).TimeZone.Id);
    }

    [Theory]
    [InlineData("--timestamps", "rfc3339")]
    [InlineData("--timestamp-fields", "a")]
    [InlineData("--time-zone", "utc")]
    [InlineData("--timestamp-input", "unix")]
    [InlineData("--timestamps", "unixx", "--dataset", "gateway_http")]
    [InlineData("--timestamps", "iso8601", "--dataset", "gateway_http")]
    [InlineData("--timestamps", "yyyy-MM-dd", "--dataset", "gateway_http")]
    [InlineData("--timestamps", "custom:", "--dataset", "gateway_http")]
    [InlineData("--timestamps", "custom:%", "--dataset", "gateway_http")]
    [InlineData("--delimiter", "\r")]
    [InlineData("--delimiter", "é")]
    public void Parse_InconsistentOrInvalidOptions_AreErrors(params string[] args)
    {
        var (_, result) = Parse(args);

        Assert.NotEmpty(result.Errors);
    }
}
