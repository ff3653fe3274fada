using System.Text;
using LogpushKit.Storage;

namespace LogpushKit.Tests.Storage;

public sealed class ObjectKeyOrderTests
{
    [Theory]
    [InlineData("a", "b")]
    [InlineData("a", "ab")]
    [InlineData("A", "a")]
    [InlineData("a-b", "a/b")]
    [InlineData("a/b", "a0")]
    [InlineData("z", "ä")]
    [InlineData("\uFF21", "😀")]
    [InlineData("\uE000", "\U00010000")]
    [InlineData("\uD7FF", "\uE000")]
    [InlineData("", "a")]
    public void Compare_Pairs_MatchesUtf8ByteOrder(string smaller, string larger)
    {
        Assert.True(Encoding.UTF8.GetBytes(smaller).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(larger)) < 0, "test data is not in UTF-8 order");
        Assert.True(ObjectKeyOrder.Instance.Compare(smaller, larger) < 0);
        Assert.True(ObjectKeyOrder.Instance.Compare(larger, smaller) > 0);
        Assert.Equal(0, ObjectKeyOrder.Instance.Compare(larger, larger));
    }

    [Fact]
    public void Compare_RandomStrings_AgreesWithUtf8Bytes()
    {
        var random = new Random(42);
        char[] alphabet = ['a', 'Z', '/', '-', '\u00E4', '\u65E5', '\uFF21', '\uE000', '\uD83D'];
        string Next()
        {
            var builder = new StringBuilder();
            var length = random.Next(0, 6);
            for (var i = 0; i < length; i++)
            {
                var c = alphabet[random.Next(alphabet.Length)];
                builder.Append(c == '\uD83D' ? "\uD83D\uDE00" : c.ToString());
            }

            return builder.ToString();
        }

        for (var i = 0; i < 2000; i++)
        {
            var x = Next();
            var y = Next();
            var expected = Math.Sign(Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));
            Assert.Equal(expected, Math.Sign(ObjectKeyOrder.Instance.Compare(x, y)));
        }
    }
}
