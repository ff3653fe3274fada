using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.Streams;
using Microsoft.Extensions.Logging;

namespace LogpushKit.R2.Tests;

/// <summary>
/// <see cref="R2Bucket"/> against the S3 stand-in: what s3rver cannot show (conditional writes sent on the wire, a server
/// that answers 501 to them, cleanup of incomplete multipart uploads).
/// </summary>
[Collection(S3StandInCollection.Name)]
public sealed class R2BucketStandInTests(S3StandInFixture fixture)
{
    private const int PartSize = R2BucketOptions.MinPartSize;

    [Theory]
    [InlineData(100L, "PUT")]
    [InlineData((2L * PartSize) + 1, "POST")]
    public async Task PutIfAsync_SendsIfNoneMatchOnTheCommittingRequestOnly(long size, string committing)
    {
        using var bucket = fixture.CreateBucket();
        var before = fixture.Server.Requests.Count;

        await bucket.PutIfAsync("k.csv", new PatternStream(size), R2Conditional.DoesNotExist);

        var requests = fixture.Server.Requests.Skip(before).Where(r => r.Contains(bucket.Name, StringComparison.Ordinal)).ToArray();
        var conditional = Assert.Single(requests, r => r.Contains("If-None-Match", StringComparison.Ordinal));
        Assert.StartsWith(committing + " ", conditional, StringComparison.Ordinal);
        if (committing == "POST")
        {
            Assert.Contains("uploadId=", conditional, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(100L)]
    [InlineData((2L * PartSize) + 1)]
    public async Task PutIfAsync_ServerAnswers501ToConditionalHeaders_PutsUnconditionallyAndWarnsOnce(long size)
    {
        var logger = new ListLogger<R2Bucket>();
        var name = fixture.Server.CreateBucket();
        using var bucket = new R2Bucket(fixture.Options(name), logger);
        fixture.Server.ConditionalWrites = false;
        try
        {
            await bucket.PutAsync("a.csv", new PatternStream(10, seed: 1));
            var first = await bucket.PutIfAsync("a.csv", new PatternStream(size, seed: 2), R2Conditional.DoesNotExist);
            var before = fixture.Server.Requests.Count;
            var second = await bucket.PutIfAsync("b.csv", new PatternStream(size, seed: 3), R2Conditional.DoesNotExist);

            Assert.NotNull(first);
            Assert.NotNull(second);
            Assert.True(bucket.ConditionalWritesRefused);
            await using (var body = await bucket.GetAsync("a.csv"))
            {
                await PatternStream.AssertContentAsync(body!.Body, size, seed: 2);
            }

            var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
            Assert.Contains("does not implement conditional writes", warning.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Server.Requests.Skip(before), r => r.Contains("If-None-Match", StringComparison.Ordinal));
            Assert.Empty(fixture.Server.Uploads(name));
        }
        finally
        {
            fixture.Server.ConditionalWrites = true;
        }
    }

    [Fact]
    public async Task Processor_TwoClientsOfOneBucket_TemplateOntoTheSourceKey_FailsAndLeavesTheSourceUntouched()
    {
        var name = fixture.Server.CreateBucket();
        using var source = new R2Bucket(fixture.Options(name));
        using var target = new R2Bucket(fixture.Options(name));
        await source.PutAsync("gw/x.log.gz", new PatternStream(100, seed: 4));
        var processor = new LogpushKit.Pipeline.LogpushObjectProcessor(source, target, new LogpushKit.Pipeline.LogpushObjectProcessorOptions
        {
            TargetKeyTemplate = new LogpushKit.Pipeline.TargetKeyTemplate("{dir}/{file}"),
        });

        var result = await processor.ProcessAsync("gw/x.log.gz");

        Assert.Equal(LogpushKit.Pipeline.ObjectProcessingStatus.Failed, result.Status);
        Assert.IsType<LogpushKit.Pipeline.TargetConflictException>(result.Exception);
        Assert.Equal(1, fixture.Server.WritesOf(name, "gw/x.log.gz"));
        await using var body = await source.GetAsync("gw/x.log.gz");
        await PatternStream.AssertContentAsync(body!.Body, 100, seed: 4);
    }

    [Fact]
    public async Task CleanUpAsync_StaleUploadsOfMatchingKeys_AreAbortedAndNothingElse()
    {
        var name = fixture.Server.CreateBucket();
        using var bucket = new R2Bucket(fixture.Options(name));
        fixture.Server.MaxUploadsPerPage = 2;
        try
        {
            using var raw = RawClient();
            foreach (var key in new[] { "csv/a.csv", "csv/b.csv", "csv/b.csv", "csv/c.log.gz", "other/d.csv" })
            {
                await StartUploadAsync(raw, name, key);
            }

            fixture.Server.AgeUploads(name, TimeSpan.FromHours(2));
            await StartUploadAsync(raw, name, "csv/fresh.csv");
            await bucket.PutAsync("csv/a.csv", new PatternStream(10));

            var result = await bucket.CleanUpAsync(new R2CleanupOptions { Prefix = "csv/", KeyFilter = k => k.EndsWith(".csv", StringComparison.Ordinal) });

            Assert.Empty(result.Problems);
            Assert.Equal(["csv/a.csv", "csv/b.csv", "csv/b.csv"], result.Removed.Select(r => r.Key).Order(StringComparer.Ordinal).ToArray());
            Assert.All(result.Removed, r => Assert.Equal(R2LeftoverKind.MultipartUpload, r.Kind));
            Assert.All(result.Removed, r => Assert.True(DateTimeOffset.UtcNow - r.LastModified > TimeSpan.FromHours(1.5)));
            Assert.Equal(["csv/c.log.gz", "csv/fresh.csv", "other/d.csv"], fixture.Server.Uploads(name).Select(u => u.Key).Order(StringComparer.Ordinal).ToArray());
            Assert.NotNull(await bucket.HeadAsync("csv/a.csv"));
        }
        finally
        {
            fixture.Server.MaxUploadsPerPage = 1000;
        }
    }

    [Fact]
    public async Task CleanUpAsync_UsesTheClientsClock()
    {
        var name = fixture.Server.CreateBucket();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        using var bucket = new R2Bucket(fixture.Options(name), timeProvider: clock);
        using var raw = RawClient();
        await StartUploadAsync(raw, name, "x.csv");

        var now = await bucket.CleanUpAsync();
        clock.Advance(TimeSpan.FromMinutes(61));
        var later = await bucket.CleanUpAsync();

        Assert.Empty(now.Removed);
        Assert.Equal("x.csv", Assert.Single(later.Removed).Key);
        Assert.Empty(fixture.Server.Uploads(name));
    }

    private AmazonS3Client RawClient() => new(
        new BasicAWSCredentials("STANDIN", "STANDIN"),
        new AmazonS3Config
        {
            ServiceURL = fixture.Server.Endpoint.AbsoluteUri,
            ForcePathStyle = true,
            AuthenticationRegion = "auto",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    /// <summary>What a process killed during a multipart put leaves: an upload with a part, never completed nor aborted.</summary>
    private static async Task StartUploadAsync(AmazonS3Client raw, string bucket, string key)
    {
        var upload = await raw.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key });
        using var part = new MemoryStream(new byte[1024]);
        await raw.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartNumber = 1, InputStream = part, DisablePayloadSigning = false, UseChunkEncoding = false });
    }
}
