using System.Collections;
using System.Reflection;
using LogpushKit.Cloudflare;

namespace LogpushKit.Tests.Cloudflare.Contracts;

/// <summary>Checks over the Cloudflare models by reflection (tests only).</summary>
internal static class ModelAssert
{
    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>Fails when a collection member declared non-nullable is <see langword="null"/>, anywhere in the graph.</summary>
    public static void NoNullCollections(object? model, string path = "$")
    {
        switch (model)
        {
            case null or string:
                return;
            case CloudflareObject:
                foreach (var property in model.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (property.GetIndexParameters().Length > 0 || property.Name == nameof(CloudflareObject.AdditionalProperties))
                    {
                        continue;
                    }

                    var value = property.GetValue(model);
                    if (value is null && IsCollection(property.PropertyType) && Nullability.Create(property).ReadState == NullabilityState.NotNull)
                    {
                        Assert.Fail($"{path}.{property.Name} ({property.DeclaringType?.Name}) is a non-nullable collection but null.");
                    }

                    NoNullCollections(value, $"{path}.{property.Name}");
                }

                return;
            case IEnumerable items when model is not IDictionary:
                var i = 0;
                foreach (var item in items)
                {
                    NoNullCollections(item, $"{path}[{i++}]");
                }

                return;
        }
    }

    /// <summary>
    /// The JSON members that landed in <see cref="CloudflareObject.AdditionalProperties"/> anywhere in the graph (as
    /// <c>path.member</c>): for a payload with only schema members, each is a member the model does not map.
    /// </summary>
    public static IEnumerable<string> UnmappedMembers(object? model, string path = "$")
    {
        switch (model)
        {
            case null or string:
                yield break;
            case CloudflareObject cloudflare:
                foreach (var name in cloudflare.AdditionalProperties?.Keys ?? [])
                {
                    yield return $"{path}.{name}";
                }

                foreach (var property in model.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (property.GetIndexParameters().Length == 0 && property.Name != nameof(CloudflareObject.AdditionalProperties))
                    {
                        foreach (var unmapped in UnmappedMembers(property.GetValue(model), $"{path}.{property.Name}"))
                        {
                            yield return unmapped;
                        }
                    }
                }

                yield break;
            case IEnumerable items when model is not IDictionary:
                var i = 0;
                foreach (var item in items)
                {
                    foreach (var unmapped in UnmappedMembers(item, $"{path}[{i++}]"))
                    {
                        yield return unmapped;
                    }
                }

                yield break;
        }
    }

    /// <summary>Every model type of the library (CloudflareObject and its subclasses, public or not).</summary>
    public static IEnumerable<Type> ModelTypes() =>
        typeof(CloudflareObject).Assembly.GetTypes().Where(t => !t.IsAbstract && !t.ContainsGenericParameters && typeof(CloudflareObject).IsAssignableFrom(t));

    /// <summary>The collection members of a model type declared non-nullable.</summary>
    public static IEnumerable<PropertyInfo> NonNullableCollections(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != nameof(CloudflareObject.AdditionalProperties) && IsCollection(p.PropertyType)
                && Nullability.Create(p).ReadState == NullabilityState.NotNull);

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);
}
