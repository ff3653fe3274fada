using LogpushKit.Pipeline;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Pipeline;

public sealed class OptionsFingerprintTests
{
    private const string Converter = "LogpushKit/1.0.0";

    public static TheoryData<string, TransformOptions> Changes => new()
    {
        { "fields", TransformOptions.Default with { Fields = ["a", "b"] } },
        { "header", TransformOptions.Default with { WriteHeader = false } },
        { "dataset", TransformOptions.Default with { Dataset = "gateway_http" } },
        { "dataset columns", TransformOptions.Default with { DatasetColumns = true } },
        { "job fields", TransformOptions.Default with { DatasetFields = ["a"] } },
        { "new keys", TransformOptions.Default with { OnNewKeys = NewKeyPolicy.Ignore } },
        { "timestamps", TransformOptions.Default with { TimestampOutput = TimestampOutputFormat.Rfc3339 } },
        { "delimiter", TransformOptions.Default with { Delimiter = ';' } },
        { "row ending", TransformOptions.Default with { RowEnding = CsvRowEnding.CrLf } },
        { "bom", TransformOptions.Default with { WriteBom = true } },
        { "formulas", TransformOptions.Default with { EscapeFormulas = true } },
        { "newlines", TransformOptions.Default with { NewlinesInCells = NewlinePolicy.Escape } },
        { "input", TransformOptions.Default with { InputFormat = LogpushInputFormat.Csv } },
        { "unknown keys", TransformOptions.Default with { FailOnUnknownKeys = true } },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Compute_EachSettingThatShapesTheOutput_ChangesTheFingerprint(string setting, TransformOptions changed)
    {
        var baseline = OptionsFingerprint.Compute(TransformOptions.Default, TargetKeyTemplate.Default, Converter);

        Assert.NotEqual(baseline, OptionsFingerprint.Compute(changed, TargetKeyTemplate.Default, Converter));
        Assert.Matches("^[0-9a-f]{12}$", baseline);
        Assert.False(string.IsNullOrEmpty(setting));
    }

    [Fact]
    public void Compute_TimestampDetails_ChangeTheFingerprintOnlyWhenTimestampsConvert()
    {
        var rfc = TransformOptions.Default with { TimestampOutput = TimestampOutputFormat.Rfc3339, Dataset = "gateway_http" };
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

        Assert.NotEqual(Fingerprint(rfc), Fingerprint(rfc with { TimeZone = tokyo }));
        Assert.NotEqual(Fingerprint(rfc), Fingerprint(rfc with { TimestampOutput = TimestampOutputFormat.UnixMs }));
        Assert.NotEqual(Fingerprint(rfc), Fingerprint(rfc with { TimestampInput = LogpushTimestampFormat.Unix }));
        Assert.NotEqual(
            Fingerprint(rfc with { TimestampOutput = TimestampOutputFormat.Custom, TimestampCustomFormat = "yyyy" }),
            Fingerprint(rfc with { TimestampOutput = TimestampOutputFormat.Custom, TimestampCustomFormat = "yyyy-MM" }));
        // without conversion the zone shapes nothing
        Assert.Equal(Fingerprint(TransformOptions.Default), Fingerprint(TransformOptions.Default with { TimeZone = tokyo }));
    }

    [Fact]
    public void Compute_TemplateAndConverterVersion_ChangeIt_LimitsDoNot()
    {
        var baseline = Fingerprint(TransformOptions.Default);

        Assert.NotEqual(baseline, OptionsFingerprint.Compute(TransformOptions.Default, new TargetKeyTemplate("{dir}/{name}.csv"), Converter));
        Assert.NotEqual(baseline, OptionsFingerprint.Compute(TransformOptions.Default, TargetKeyTemplate.Default, "LogpushKit/1.0.1"));
        Assert.Equal(baseline, Fingerprint(TransformOptions.Default with { MaxLineBytes = 1024, MaxDecompressedBytes = 1 << 20, OnBadLine = BadLinePolicy.Skip }));
        Assert.Equal(baseline, Fingerprint(new TransformOptions())); // the same options in another instance
    }

    private static string Fingerprint(TransformOptions options) => OptionsFingerprint.Compute(options, TargetKeyTemplate.Default, Converter);
}
