using LogpushKit.Storage;

namespace LogpushKit.Tests.Storage;

public sealed class BucketLocationTests
{
    [Theory]
    [InlineData("r2://logs/http_requests/20240101/x.log.gz", BucketLocationKind.R2, "logs", "http_requests/20240101/x.log.gz")]
    [InlineData("s3://my.bucket-1/key with space.csv", BucketLocationKind.S3, "my.bucket-1", "key with space.csv")]
    [InlineData("R2://logs/a", BucketLocationKind.R2, "logs", "a")]
    [InlineData("r2://logs", BucketLocationKind.R2, "logs", "")]
    [InlineData("r2://logs/", BucketLocationKind.R2, "logs", "")]
    [InlineData("s3://abc/prefix/", BucketLocationKind.S3, "abc", "prefix/")]
    [InlineData("s3://abc/a%20b", BucketLocationKind.S3, "abc", "a%20b")]
    public void Parse_BucketUri_ReturnsBucketAndKey(string value, BucketLocationKind kind, string bucket, string key)
    {
        var location = BucketLocation.Parse(value);

        Assert.Equal(kind, location.Kind);
        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(key, location.Key);
        Assert.Null(location.Path);
        Assert.True(location.IsBucket);
    }

    [Theory]
    [InlineData("out/x.csv")]
    [InlineData("./x.csv")]
    [InlineData("x")]
    [InlineData("dir with space/file.csv")]
    public void Parse_RelativePath_ReturnsFullLocalPath(string value)
    {
        var location = BucketLocation.Parse(value);

        Assert.Equal(BucketLocationKind.FileSystem, location.Kind);
        Assert.Equal(Path.GetFullPath(value), location.Path);
        Assert.False(location.IsBucket);
        Assert.Null(location.Bucket);
    }

    [Fact]
    public void Parse_AbsolutePathAndFileUri_ReturnSamePath()
    {
        var absolute = Path.Combine(Path.GetTempPath(), "lpk", "a b.csv");

        var plain = BucketLocation.Parse(absolute);
        var uri = BucketLocation.Parse(new Uri(absolute).AbsoluteUri);

        Assert.Equal(absolute, plain.Path);
        Assert.Equal(absolute, uri.Path);
        Assert.Equal(BucketLocationKind.FileSystem, uri.Kind);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("r2://", "no bucket name")]
    [InlineData("r2:///key", "no bucket name")]
    [InlineData("s3://Upper/key", "not a valid bucket name")]
    [InlineData("s3://ab/key", "not a valid bucket name")]
    [InlineData("s3://bad_name/key", "not a valid bucket name")]
    [InlineData("s3://-abc/key", "not a valid bucket name")]
    [InlineData("gs://bucket/key", "unsupported scheme 'gs://'")]
    [InlineData("https://example.com/x", "unsupported scheme 'https://'")]
    [InlineData("file://server/share/x", "names the host 'server'")]
    [InlineData("r2://abc/a\0b", "NUL")]
    public void Parse_Malformed_ThrowsFormatExceptionQuotingInput(string value, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => BucketLocation.Parse(value));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.False(BucketLocation.TryParse(value, out var location, out var error));
        Assert.Null(location);
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void ToString_BucketLocation_RoundTrips()
    {
        Assert.Equal("r2://logs/a/b", BucketLocation.Parse("r2://logs/a/b").ToString());
        Assert.Equal("s3://logs/", BucketLocation.Parse("s3://logs").ToString());
    }
}
