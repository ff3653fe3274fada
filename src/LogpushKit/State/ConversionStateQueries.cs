namespace LogpushKit.State;

/// <summary>Reads the processor makes of any <see cref="IConversionStateStore"/>, in one query where the store has one.</summary>
internal static class ConversionStateQueries
{
    /// <summary>
    /// The newest conversion of <paramref name="sourceKey"/> of <paramref name="source"/> into <paramref name="target"/>
    /// (<see cref="IConversionStateStore.FindBySourceAsync"/>) and the conversion recorded for <paramref name="targetKey"/>
    /// (<see cref="IConversionStateStore.FindByTargetAsync"/>): one statement on <see cref="SqliteConversionStateStore"/>,
    /// two calls on another store.
    /// </summary>
    public static async ValueTask<(ConversionRecord? BySource, ConversionRecord? ByTarget)> FindBySourceAndTargetAsync(
        this IConversionStateStore state, string source, string sourceKey, string target, string targetKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state is SqliteConversionStateStore sqlite)
        {
            return await sqlite.FindBySourceAndTargetAsync(source, sourceKey, target, targetKey, cancellationToken).ConfigureAwait(false);
        }

        var bySource = await state.FindBySourceAsync(source, sourceKey, target, cancellationToken).ConfigureAwait(false);
        var byTarget = await state.FindByTargetAsync(target, targetKey, cancellationToken).ConfigureAwait(false);
        return (bySource, byTarget);
    }
}
