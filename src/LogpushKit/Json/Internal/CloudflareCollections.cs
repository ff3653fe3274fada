using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace LogpushKit.Json;

/// <summary>
/// The empty collections a Cloudflare model returns for a list or map that the reply omitted (or sent as JSON
/// <c>null</c>), so that no model ever hands out a <see langword="null"/> collection. They are singletons of their own
/// types, so the serializer can tell "absent" from a list that arrived (or was set) empty: an absent collection is not
/// written back, an empty one is written as <c>[]</c> / <c>{}</c>.
/// </summary>
/// <remarks>
/// The pattern of every collection property of a model (source generation sets an init-only member the JSON does not
/// have to <see langword="null"/>, overwriting any initializer, so the getter has to supply the empty value):
/// <code>
/// [AllowNull]
/// public IReadOnlyList&lt;Thing&gt; Things { get => field ?? CloudflareCollections.Absent&lt;Thing&gt;(); init; }
/// </code>
/// <c>ResponseContractTests.EveryModelType_EmptyOrNullMembers_NoNullCollection</c> checks every model type of the
/// library for it. A collection typed nullable on purpose (<see cref="Cloudflare.LogpushOutputOptions.FieldNames"/>:
/// absent means Cloudflare's default) is exempt.
/// </remarks>
internal static class CloudflareCollections
{
    /// <summary>The empty list standing for an absent member.</summary>
    public static IReadOnlyList<T> Absent<T>() => AbsentList<T>.Instance;

    /// <summary>The empty map standing for an absent member.</summary>
    public static IReadOnlyDictionary<TKey, TValue> AbsentMap<TKey, TValue>()
        where TKey : notnull => AbsentDictionary<TKey, TValue>.Instance;

    /// <summary>Whether <paramref name="value"/> stands for an absent member (and so is not written).</summary>
    public static bool IsAbsent(object? value) => value is IAbsentCollection;

    private interface IAbsentCollection;

    private sealed class AbsentList<T> : IReadOnlyList<T>, IAbsentCollection
    {
        public static readonly AbsentList<T> Instance = new();

        public int Count => 0;

        public T this[int index] => throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<T> GetEnumerator() => Enumerable.Empty<T>().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "[]";
    }

    private sealed class AbsentDictionary<TKey, TValue> : IReadOnlyDictionary<TKey, TValue>, IAbsentCollection
        where TKey : notnull
    {
        public static readonly AbsentDictionary<TKey, TValue> Instance = new();

        public int Count => 0;

        public IEnumerable<TKey> Keys => [];

        public IEnumerable<TValue> Values => [];

        public TValue this[TKey key] => throw new KeyNotFoundException($"The key '{key}' is not in an empty map.");

        public bool ContainsKey(TKey key) => false;

        public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
        {
            value = default;
            return false;
        }

        public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => Enumerable.Empty<KeyValuePair<TKey, TValue>>().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "{}";
    }
}
