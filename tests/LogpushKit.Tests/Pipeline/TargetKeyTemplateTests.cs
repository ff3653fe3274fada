using LogpushKit.Pipeline;

namespace LogpushKit.Tests.Pipeline;

public sealed class TargetKeyTemplateTests
{
    [Theory]
    [InlineData("logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.log.gz", "logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.csv")]
    [InlineData("a.b.c/d.e/file.name.with.dots.log.gz", "a.b.c/d.e/file.name.with.dots.csv")]
    [InlineData("données/журнал/日志 2024/ünïcødé file.log.gz", "données/журнал/日志 2024/ünïcødé file.csv")]
    [InlineData("plain.gz", "plain.csv")]
    [InlineData("root.log.gz", "root.csv")]
    [InlineData("x/archive.tar.gz", "x/archive.tar.csv")]
    [InlineData("x/UPPER.LOG.GZ", "x/UPPER.csv")]
    [InlineData("x/no-extension", "x/no-extension.csv")]
    [InlineData("x/double.log.gz.log.gz", "x/double.log.gz.csv")]
    public void Apply_DefaultTemplate_ReplacesOnlyFinalExtension(string source, string expected)
        => Assert.Equal(expected, TargetKeyTemplate.Default.Apply(source));

    [Fact]
    public void Apply_TargetPrefix_IsPrepended()
        => Assert.Equal("csv/logs/a.csv", TargetKeyTemplate.Default.Apply("logs/a.log.gz", "csv/"));

    [Theory]
    [InlineData("{dir}/{name}.csv", "root.log.gz", "root.csv")]
    [InlineData("{dir}/{name}.csv", "a/b/c.log.gz", "a/b/c.csv")]
    [InlineData("{date}/{name}.csv", "gw/20240821/20240821T054839Z_20240821T055839Z_ab.log.gz", "20240821/20240821T054839Z_20240821T055839Z_ab.csv")]
    [InlineData("{year}/{month}/{day}/{hour}/{file}.csv", "gw/20240821T054839Z_20240821T055839Z_ab.log.gz", "2024/08/21/05/20240821T054839Z_20240821T055839Z_ab.log.gz.csv")]
    [InlineData("out/{date}/{name}.csv", "gw/20240102/custom-name.log.gz", "out/20240102/custom-name.csv")]
    public void Apply_Template_SubstitutesTokens(string template, string source, string expected)
        => Assert.Equal(expected, new TargetKeyTemplate(template).Apply(source));

    [Theory]
    [InlineData("{nope}.csv")]
    [InlineData("{name.csv")]
    [InlineData("{date}.csv")]
    [InlineData("fixed.csv")]
    public void Ctor_InvalidTemplate_ThrowsNamingTemplate(string template)
    {
        var ex = Assert.Throws<ArgumentException>(() => new TargetKeyTemplate(template));
        Assert.Contains(template, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_DateTokenWithoutDate_ThrowsNamingKey()
    {
        var ex = Assert.Throws<LogpushKitException>(() => new TargetKeyTemplate("{date}/{name}.csv").Apply("gw/custom.log.gz"));
        Assert.Contains("gw/custom.log.gz", ex.Message, StringComparison.Ordinal);
    }
}
