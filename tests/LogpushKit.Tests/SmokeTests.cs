using LogpushKit.Storage;

namespace LogpushKit.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void R2ListItem_WithoutObject_IsPrefix()
    {
        Assert.True(new R2ListItem("logs/", null).IsPrefix);
        Assert.False(new R2ListItem("a", new R2ObjectInfo("a", 1, "e", DateTimeOffset.UnixEpoch)).IsPrefix);
    }
}
