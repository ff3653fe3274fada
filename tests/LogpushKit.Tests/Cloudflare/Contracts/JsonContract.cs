using System.Text.Json;
using System.Text.Json.Nodes;

namespace LogpushKit.Tests.Cloudflare.Contracts;

/// <summary>JSON comparisons for the contract tests.</summary>
internal static class JsonContract
{
    /// <summary>Whether <paramref name="whole"/> has every member (recursively, same values) of <paramref name="part"/>; arrays must match item by item.</summary>
    public static bool Contains(JsonNode? whole, JsonNode? part) => (whole, part) switch
    {
        (_, null) => true,
        (JsonObject w, JsonObject p) => p.All(m => w.TryGetPropertyValue(m.Key, out var v) && Contains(v, m.Value)),
        (JsonArray w, JsonArray p) => w.Count == p.Count && w.Zip(p).All(x => Contains(x.First, x.Second)),
        _ => JsonNode.DeepEquals(whole, part),
    };

    /// <summary>Deep equality where numbers compare by value (<c>3</c> equals <c>3.0</c>).</summary>
    public static bool Equivalent(JsonNode? a, JsonNode? b) => (a, b) switch
    {
        (null, null) => true,
        (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(m => y.TryGetPropertyValue(m.Key, out var v) && Equivalent(m.Value, v)),
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => Equivalent(p.First, p.Second)),
        (JsonValue x, JsonValue y) when x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number => x.GetValue<decimal>() == y.GetValue<decimal>(),
        _ => JsonNode.DeepEquals(a, b),
    };
}
