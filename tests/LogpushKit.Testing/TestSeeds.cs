namespace LogpushKit.Testing;

/// <summary>Seeds for randomised theories: one test case per seed, reproducible by its number.</summary>
public static class TestSeeds
{
    /// <summary>The seeds 1 to <paramref name="count"/>.</summary>
    public static TheoryData<int> UpTo(int count)
    {
        var data = new TheoryData<int>();
        for (var seed = 1; seed <= count; seed++)
        {
            data.Add(seed);
        }

        return data;
    }
}
