using LogpushKit.Storage;

namespace LogpushKit.Tests.Storage;

public sealed class ObjectKeyTextTests
{
    [Theory]
    [InlineData("logs/2024.08/x.log.gz", "logs/2024.08/x.log.gz")]
    [InlineData("edge-zürich/x.log.gz", "edge-zürich/x.log.gz")]
    [InlineData("a\nlogpushkit: converted fake", @"a\nlogpushkit: converted fake")]
    [InlineData("a\r\tb", @"a\r\tb")]
    [InlineData("\u001b[31mred", @"\u001b[31mred")]
    [InlineData("a\u0085b\u2028c", @"a\u0085b\u2028c")]
    [InlineData("evil\u202etxt.gz", @"evil\u202etxt.gz")]
    [InlineData(@"a\nb", @"a\\nb")]
    [InlineData("", "")]
    public void Escape_Key_MakesControlCharactersVisible(string key, string expected)
        => Assert.Equal(expected, ObjectKeyText.Escape(key));

    [Fact]
    public void Escape_PlainKey_ReturnsSameInstance()
    {
        var key = "gateway_http/20240821/20240821T054839Z_20240821T054839Z_06b7e0be.log.gz";
        Assert.Same(key, ObjectKeyText.Escape(key));
    }
}
