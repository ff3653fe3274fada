namespace LogpushKit.Storage;

/// <summary>List semantics shared by the local buckets: prefix, start-after and delimiter roll-up, like ListObjectsV2.</summary>
internal static class KeyListing
{
    /// <summary>Whether <paramref name="key"/> passes the prefix and start-after filters.</summary>
    public static bool Matches(string key, R2ListOptions options)
    {
        if (options.Prefix is { Length: > 0 } prefix && !key.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        return options.StartAfter is not { Length: > 0 } startAfter || ObjectKeyOrder.Compare(key, startAfter) > 0;
    }

    /// <summary>
    /// The common prefix <paramref name="key"/> rolls up to under <paramref name="options"/>' delimiter, or
    /// <see langword="null"/> when the key is listed as itself.
    /// </summary>
    public static string? CommonPrefix(string key, R2ListOptions options)
    {
        if (options.Delimiter is not { Length: > 0 } delimiter)
        {
            return null;
        }

        var prefixLength = options.Prefix?.Length ?? 0;
        var index = key.IndexOf(delimiter, prefixLength, StringComparison.Ordinal);
        return index < 0 ? null : key[..(index + delimiter.Length)];
    }

    /// <summary>
    /// Applies the delimiter roll-up to objects that arrive in key order and already match the prefix and start-after.
    /// </summary>
    public static async IAsyncEnumerable<R2ListItem> RollUp(IAsyncEnumerable<R2ObjectInfo> objects, R2ListOptions options)
    {
        string? lastPrefix = null;
        await foreach (var info in objects.ConfigureAwait(false))
        {
            var commonPrefix = CommonPrefix(info.Key, options);
            if (commonPrefix is null)
            {
                yield return new R2ListItem(info.Key, info);
            }
            else if (!string.Equals(commonPrefix, lastPrefix, StringComparison.Ordinal))
            {
                lastPrefix = commonPrefix;
                yield return new R2ListItem(commonPrefix, null);
            }
        }
    }
}
