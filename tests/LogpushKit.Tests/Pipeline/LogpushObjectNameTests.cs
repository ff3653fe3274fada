using LogpushKit.Pipeline;

namespace LogpushKit.Tests.Pipeline;

public sealed class LogpushObjectNameTests
{
    [Fact]
    public void Parse_LogpushName_ReadsStartEndAndId()
    {
        var name = LogpushObjectName.Parse("gateway/20240821/20240821T054839Z_20240821T055012Z_06b7e0be.log.gz");

        Assert.Equal("gateway/20240821", name.Directory);
        Assert.Equal("20240821T054839Z_20240821T055012Z_06b7e0be", name.BaseName);
        Assert.Equal(new DateTimeOffset(2024, 8, 21, 5, 48, 39, TimeSpan.Zero), name.Start);
        Assert.Equal(new DateTimeOffset(2024, 8, 21, 5, 50, 12, TimeSpan.Zero), name.End);
        Assert.Equal("06b7e0be", name.Id);
        Assert.Equal(new DateOnly(2024, 8, 21), name.Date);
    }

    [Fact]
    public void Parse_DateFolderOnly_ReadsDate()
    {
        var name = LogpushObjectName.Parse("gateway/20231130/whatever.log.gz");
        Assert.Null(name.Start);
        Assert.Equal(new DateOnly(2023, 11, 30), name.Date);
    }

    [Theory]
    [InlineData("x.log.gz")]
    [InlineData("2024.08/notatime_x_y.log.gz")]
    [InlineData("99999999/x.log.gz")]
    public void Parse_NoTimes_LeavesThemEmpty(string key)
    {
        var name = LogpushObjectName.Parse(key);
        Assert.Null(name.Start);
        Assert.Null(name.Date);
        Assert.True(name.Overlaps(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(1)));
    }

    [Theory]
    [InlineData("2024-08-21T05:00:00Z", "2024-08-21T06:00:00Z", true)]
    [InlineData("2024-08-21T05:50:12Z", null, true)]
    [InlineData("2024-08-21T05:50:13Z", null, false)]
    [InlineData(null, "2024-08-21T05:48:39Z", false)]
    [InlineData(null, "2024-08-21T05:48:40Z", true)]
    public void Overlaps_Window_UsesStartAndEnd(string? from, string? to, bool expected)
    {
        var name = LogpushObjectName.Parse("g/20240821T054839Z_20240821T055012Z_id.log.gz");
        Assert.Equal(expected, name.Overlaps(from is null ? null : DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture), to is null ? null : DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Overlaps_DateFolder_CoversTheWholeDay()
    {
        var name = LogpushObjectName.Parse("g/20240821/x.log.gz");
        Assert.True(name.Overlaps(new DateTimeOffset(2024, 8, 21, 23, 0, 0, TimeSpan.Zero), null));
        Assert.False(name.Overlaps(new DateTimeOffset(2024, 8, 22, 0, 0, 0, TimeSpan.Zero), null));
        Assert.False(name.Overlaps(null, new DateTimeOffset(2024, 8, 21, 0, 0, 0, TimeSpan.Zero)));
    }
}
