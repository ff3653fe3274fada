using LogpushKit.Pipeline;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Pipeline;

public sealed class InFlightBudgetTests
{
    private const long Object = 300_000;

    [Fact]
    public void Weigh_BeforeAnyConversion_TakesEightTimesTheCompressedSize()
    {
        var budget = new InFlightBudget(2, 64L << 20);

        Assert.Equal(InFlightBudget.BaseWeight + (8 * Object), budget.Weigh(Object));
        Assert.Equal(InFlightBudget.BaseWeight, budget.Weigh(null));
        Assert.Equal(InFlightBudget.MaxWeight, budget.Weigh(100L << 20));
    }

    [Fact]
    public void Weigh_AfterConversions_TakesTheLargestExpansionSeenPlusAQuarter()
    {
        var budget = new InFlightBudget(2, 64L << 20);

        budget.Observe(Object, 3 * Object);
        budget.Observe(Object, 2 * Object); // a smaller one does not lower it

        Assert.Equal(3.75, budget.Expansion);
        Assert.Equal(InFlightBudget.BaseWeight + (long)(3.75 * Object), budget.Weigh(Object));
    }

    [Fact]
    public void Weigh_AMoreCompressibleWorkload_WeighsMoreThanTheFirstEstimate_UpToTheMaximum()
    {
        var budget = new InFlightBudget(2, 64L << 20);

        budget.Observe(Object, 20 * Object);

        Assert.Equal(25, budget.Expansion);
        Assert.Equal(InFlightBudget.BaseWeight + (25 * Object), budget.Weigh(Object));
        Assert.Equal(InFlightBudget.MaxWeight, budget.Weigh(1L << 20));
    }

    [Fact]
    public void Observe_TinyObjectsAndOutputSmallerThanInput_TellLittle()
    {
        var budget = new InFlightBudget(2, 64L << 20);

        budget.Observe(100, 100_000); // a few compressed bytes say nothing about the ratio
        Assert.Equal(InFlightBudget.ExpansionEstimate, budget.Expansion);

        budget.Observe(Object, Object / 10); // most lines quarantined or filtered: counted as no expansion, not less
        Assert.Equal(1, budget.Expansion);
    }

    [Fact]
    public void Observe_AResult_LearnsOnlyFromAConversion()
    {
        var budget = new InFlightBudget(2, 64L << 20);
        var transformed = new TransformResult { BytesIn = Object, BytesOut = 2 * Object };

        budget.Observe(new ObjectProcessingResult(ObjectProcessingStatus.Failed, "a.log.gz") { Transform = transformed });
        budget.Observe(new ObjectProcessingResult(ObjectProcessingStatus.SkippedDuplicate, "b.log.gz"));
        Assert.Equal(InFlightBudget.ExpansionEstimate, budget.Expansion);

        budget.Observe(new ObjectProcessingResult(ObjectProcessingStatus.Converted, "c.log.gz") { Transform = transformed });
        Assert.Equal(2.5, budget.Expansion);
    }

    [Fact]
    public void Free_AfterLearning_AdmitsAsManyAsTheRealOutputFits()
    {
        var budget = new InFlightBudget(2, 64L << 20);
        var before = budget.Free(budget.Weigh(Object));

        budget.Observe(Object, 3 * Object);
        var after = budget.Free(budget.Weigh(Object));

        Assert.Equal(19, before); // 64 MiB / (1 MiB + 2.4 MB)
        Assert.Equal(30, after); // 64 MiB / (1 MiB + 1.125 MB)
    }

    [Fact]
    public async Task Release_GivesBackTheWeightAnObjectWasAdmittedWith_EvenAfterTheEstimateChanged()
    {
        var budget = new InFlightBudget(1, 4L << 20);
        var first = budget.Weigh(Object);
        await budget.WaitAsync(first, CancellationToken.None);
        budget.Observe(Object, Object);

        budget.Release(first);

        Assert.Equal(0, budget.Count);
        Assert.Equal(4, budget.Free(InFlightBudget.BaseWeight));
    }
}
