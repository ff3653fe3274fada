using System.CommandLine;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Tests.Infrastructure;

/// <summary>The transform flags parse through <see cref="TransformOptionsText"/>, the text form the worker's configuration shares.</summary>
public sealed class TransformOptionsTextFlagsTests
{
    private static (TransformOptionsBinder Binder, ParseResult Result) Parse(params string[] args)
    {
        var command = new Command("t");
        var binder = TransformOptionsBinder.AddTo(command);
        return (binder, command.Parse(args));
    }

    [Theory]
    [InlineData("--input-format", "CSV")]
    [InlineData("--on-bad-line", "Quarantine")]
    [InlineData("--delimiter", "TAB")]
    [InlineData("--max-line-bytes", "1m")]
    [InlineData("--timestamp-input", "rfc3339ns", "--timestamps", "unix", "--timestamp-fields", "t")]
    public void Parse_ConfigurationSpellings_AreAcceptedToo(params string[] args)
    {
        var (binder, result) = Parse(args);

        Assert.Empty(result.Errors);
        _ = binder.Bind(result);
    }

    [Theory]
    [InlineData("--input-format", "xml", "--input-format: 'xml' is not an input format; give auto, ndjson, csv.")]
    [InlineData("--on-bad-line", "ignore", "--on-bad-line: 'ignore' is not a bad-line policy; give fail, skip, quarantine.")]
    [InlineData("--max-line-bytes", "3G", "--max-line-bytes: '3G' is more than the largest line size, 536870912 bytes.")]
    [InlineData("--max-line-bytes", "8X", "--max-line-bytes: '8X' is not a positive size; give e.g. 65536, 512K, 4M or 128M (at most 512M).")]
    [InlineData("--max-output-bytes", "12Q", "--max-output-bytes: '12Q' is not a positive size; give e.g. 1048576, 512K, 64M or 8G.")]
    [InlineData("--fields", "a,a", "--fields: 'a' is given twice.")]
    public void Parse_BadValue_IsAnErrorNamingTheFlagAndValue(string flag, string value, string expected)
    {
        var (_, result) = Parse(flag, value);

        Assert.Equal(expected, Assert.Single(result.Errors).Message);
    }

    [Fact]
    public void Bind_OptionsThatDoNotFitTogether_NameTheFlags()
    {
        var (binder, result) = Parse("--fields", "a,b", "--timestamps", "unix", "--timestamp-fields", "t");

        var ex = Assert.Throws<UsageException>(() => binder.Bind(result));

        Assert.Equal("--timestamps would convert nothing: none of the --fields (a, b) is a timestamp field (t).", ex.Message);
    }

    [Fact]
    public void InFlagTerms_BadInputReasons_NameTheFlags()
    {
        var ex = new LogpushDataException("row longer than MaxLineBytes (10 bytes)", "/data/Dataset/Fields.csv", 2, 4);

        Assert.Equal("/data/Dataset/Fields.csv, line 2, byte offset 4: row longer than --max-line-bytes (10 bytes)", TransformOptionsBinder.Describe(ex));
    }
}
