using System.Text;
using System.Text.Json;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Transform;

/// <summary>The conversion stage's JSON text handling on its own, against System.Text.Json.</summary>
public sealed class JsonTextTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("")]
    [InlineData("q\\\"uo\\\\te\\/ \\b\\f\\n\\r\\t")]
    [InlineData("\\u00e9 \\u65E5 \\u0000 \\u003c\\u003e\\u0026")]
    [InlineData("\\ud83d\\ude00 and \\uD83D\\uDE00")]
    [InlineData("caf\u00e9 \u65e5\u672c \\n\u00e9")]
    [InlineData("\\\\\\\\\\\"")]
    public void DecodeString_AllEscapes_MatchSystemTextJson(string content)
    {
        var raw = Encoding.UTF8.GetBytes(content);
        var expected = Encoding.UTF8.GetBytes(JsonSerializer.Deserialize<string>("\"" + content + "\"")!);
        var dst = new byte[raw.Length];

        var n = JsonText.DecodeString(raw, dst);

        Assert.Equal(expected, dst[..n]);
    }

    [Theory]
    [InlineData("{ \"a\" : [ 1 , 2.50 ] , \"s\" : \"x \\\" y\\u00e9 \" }", "{\"a\":[1,2.50],\"s\":\"x \\\" y\\u00e9 \"}")]
    [InlineData("[\r\n\t{}, [ ], \"\\\\\" ]", "[{},[],\"\\\\\"]")]
    [InlineData("{\"k\":\"v\"}", "{\"k\":\"v\"}")]
    public void Compact_DropsWhitespaceBetweenTokensOnly(string nested, string expected)
    {
        var raw = Encoding.UTF8.GetBytes(nested);
        var dst = new byte[raw.Length];

        var n = JsonText.Compact(raw, dst);

        Assert.Equal(expected, Encoding.UTF8.GetString(dst, 0, n));
    }

    [Theory]
    [InlineData("00e9", 0xe9)]
    [InlineData("FFFF", 0xffff)]
    [InlineData("aBcD", 0xabcd)]
    public void TryHex4_FourHexDigits(string text, int expected)
    {
        Assert.True(JsonText.TryHex4(Encoding.ASCII.GetBytes("x" + text), 1, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("00g9")]
    [InlineData("00e")]
    [InlineData("")]
    public void TryHex4_OtherText_IsFalse(string text)
        => Assert.False(JsonText.TryHex4(Encoding.ASCII.GetBytes(text), 0, out _));
}
