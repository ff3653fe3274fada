using System.Text.Json;
using System.Text.Json.Serialization;

namespace LogpushKit.Cloudflare;

/// <summary>
/// Base of every Cloudflare API model. Members that this version of LogpushKit does not know are kept in
/// <see cref="AdditionalProperties"/> and written back unchanged by <see cref="Json.CloudflareJson"/>, and members that
/// arrived as an explicit JSON <c>null</c> are written back as <c>null</c>, so serializing a model read from the API never
/// drops a field. Request bodies are a different matter: the clients send only what Cloudflare's request schema allows
/// (see <see cref="LogpushClient.UpdateJobAsync"/>). Collections are never <see langword="null"/>: an omitted list reads
/// as empty and is not written back.
/// </summary>
public abstract record CloudflareObject
{
    private HashSet<string>? _explicitNulls;

    /// <summary>Creates an empty model.</summary>
    protected CloudflareObject()
    {
    }

    /// <summary>Copies a model (used by <c>with</c>): the copy gets its own additional members and null markers.</summary>
    /// <param name="original">The model to copy.</param>
    protected CloudflareObject(CloudflareObject original)
    {
        ArgumentNullException.ThrowIfNull(original);
        AdditionalProperties = original.AdditionalProperties is null ? null : new Dictionary<string, JsonElement>(original.AdditionalProperties, StringComparer.Ordinal);
        _explicitNulls = original._explicitNulls is null ? null : new HashSet<string>(original._explicitNulls, StringComparer.Ordinal);
    }

    /// <summary>JSON members not mapped to a property, in the order received; written back on serialization.</summary>
    [JsonExtensionData]
    [JsonInclude]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; internal set; }

    /// <summary>Value equality over the mapped properties and the content of <see cref="AdditionalProperties"/>.</summary>
    /// <param name="other">The other model.</param>
    /// <returns><see langword="true"/> when both hold the same data.</returns>
    public virtual bool Equals(CloudflareObject? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || EqualityContract != other.EqualityContract)
        {
            return false;
        }

        var mine = AdditionalProperties;
        var theirs = other.AdditionalProperties;
        if ((mine?.Count ?? 0) != (theirs?.Count ?? 0))
        {
            return false;
        }

        if (mine is null || theirs is null)
        {
            return true;
        }

        foreach (var (name, value) in mine)
        {
            if (!theirs.TryGetValue(name, out var otherValue) || !JsonElement.DeepEquals(value, otherValue))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(EqualityContract, AdditionalProperties?.Count ?? 0);

    /// <summary>Prints the mapped members and the names (not values) of the additional ones.</summary>
    /// <param name="builder">The builder of <see cref="object.ToString"/>.</param>
    /// <returns><see langword="true"/> when something was printed.</returns>
    protected virtual bool PrintMembers(System.Text.StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (AdditionalProperties is not { Count: > 0 } extra)
        {
            return false;
        }

        builder.Append("AdditionalProperties = [").AppendJoin(", ", extra.Keys).Append(']');
        return true;
    }

    internal bool IsExplicitNull(string jsonName) => _explicitNulls?.Contains(jsonName) == true;

    internal void MarkExplicitNull(string jsonName) => (_explicitNulls ??= new HashSet<string>(StringComparer.Ordinal)).Add(jsonName);

    internal void ForgetExplicitNull(string jsonName) => _explicitNulls?.Remove(jsonName);
}
