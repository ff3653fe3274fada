using System.Text;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Transform;

/// <summary>The conversion stage's cell writing on its own, at both vector widths, against the plain rule.</summary>
public sealed class CsvCellWriterTests
{
    public static TheoryData<bool> Widths() => [true, false];

    [Theory]
    [MemberData(nameof(Widths))]
    public void WriteField_QuotesDoublesAndPrefixes(bool vector256)
    {
        Assert.Equal("abc", Write("abc", quote: false, formula: false, vector256));
        Assert.Equal("'=1", Write("=1", quote: false, formula: true, vector256));
        Assert.Equal("\"a,\"\"b\"\"\"", Write("a,\"b\"", quote: true, formula: false, vector256));
        Assert.Equal("\"'=a,b\"", Write("=a,b", quote: true, formula: true, vector256));
        Assert.Equal("\"\"", Write("", quote: true, formula: false, vector256));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void CopyDoublingQuotes_QuotesAtEveryPosition_MatchThePlainRule(bool vector256)
    {
        var random = new Random(7);
        for (var length = 0; length <= 100; length++)
        {
            for (var round = 0; round < 20; round++)
            {
                var text = new byte[length];
                for (var i = 0; i < length; i++)
                {
                    text[i] = random.Next(4) == 0 ? (byte)'"' : (byte)('a' + random.Next(26));
                }

                var expected = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(text).Replace("\"", "\"\"", StringComparison.Ordinal));

                // Exactly the room the doubled text needs (the vector loop must stop short of the end), and plenty.
                foreach (var room in new[] { expected.Length, (2 * length) + 64 })
                {
                    var dst = new byte[room];
                    var w = 0;
                    CsvCellWriter.CopyDoublingQuotes(text, dst, ref w, vector256);
                    Assert.Equal(expected.Length, w);
                    Assert.True(expected.AsSpan().SequenceEqual(dst.AsSpan(0, w)), $"length {length}, room {room}: {Encoding.ASCII.GetString(text)}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void CopyCell_EveryLengthWithAndWithoutSlack_CopiesTheCell(bool vector256)
    {
        var source = Enumerable.Range(0, 200).Select(i => (byte)(i + 1)).ToArray();
        for (var length = 0; length <= 40; length++)
        {
            foreach (var start in new[] { 0, 5, source.Length - length, source.Length - length - CsvCellWriter.VectorCopy })
            {
                if (start < 0)
                {
                    continue;
                }

                foreach (var room in new[] { length + 3, length + 3 + CsvCellWriter.VectorCopy })
                {
                    var dst = new byte[room];
                    var w = 3;
                    if (vector256)
                    {
                        w = CsvCellWriter.CopyCell<Vector256Width>(source, start, length, dst, w);
                    }
                    else
                    {
                        w = CsvCellWriter.CopyCell<Vector128Width>(source, start, length, dst, w);
                    }

                    Assert.Equal(3 + length, w);
                    Assert.True(source.AsSpan(start, length).SequenceEqual(dst.AsSpan(3, length)), $"length {length}, start {start}, room {room}");
                    Assert.Equal(new byte[3], dst[..3]);
                }
            }
        }
    }

    [Fact]
    public void IsFormulaStart_OnlyTheFourFormulaBytes()
    {
        var starts = Enumerable.Range(0, 256).Where(b => CsvCellWriter.IsFormulaStart((byte)b)).Select(b => (char)b);
        Assert.Equal("+-=@", string.Concat(starts));
    }

    [Fact]
    public void WriteRowEnding_LfOrCrLf()
    {
        var dst = new byte[4];
        var w = 0;
        CsvCellWriter.WriteRowEnding(dst, ref w, "\n"u8.ToArray());
        CsvCellWriter.WriteRowEnding(dst, ref w, "\r\n"u8.ToArray());
        Assert.Equal("\n\r\n", Encoding.ASCII.GetString(dst, 0, w));
    }

    private static string Write(string text, bool quote, bool formula, bool vector256)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var dst = new byte[(2 * bytes.Length) + 3];
        var w = 0;
        CsvCellWriter.WriteField(dst, ref w, bytes, quote, formula, vector256);
        return Encoding.UTF8.GetString(dst, 0, w);
    }
}
