namespace LogpushKit.Tests.Infrastructure;

/// <summary>Tests that measure process-wide allocations: run after the parallel tests, one at a time.</summary>
[CollectionDefinition(nameof(AllocationMeasurementCollection), DisableParallelization = true)]
public sealed class AllocationMeasurementCollection;
