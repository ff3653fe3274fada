using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LogpushKit.Tests.Cloudflare.Contracts;

/// <summary>Which payload of a model to generate.</summary>
public enum PayloadForm
{
    /// <summary>Only the members the schema requires (every list and object left out unless required).</summary>
    Minimal,

    /// <summary>Every member the schema lists, with a value of its type.</summary>
    Full,

    /// <summary><see cref="Full"/> plus a member the schema does not list, in every object.</summary>
    Unknown,

    /// <summary><see cref="Full"/> with every member typed <c>number</c> written as a float (<c>3.0</c>), which the schema allows.</summary>
    Floats,
}

/// <summary>
/// The Cloudflare shapes transcribed in <c>Fixtures/Cloudflare/Contracts/schema.json</c> (from the SDKs and docs named
/// there), and payloads generated from them. Values are our own and deterministic.
/// </summary>
public sealed class ContractSchema
{
    /// <summary>The member added to every object of an <see cref="PayloadForm.Unknown"/> payload.</summary>
    public const string UnknownMember = "x_added_later";

    private static readonly Lazy<ContractSchema> Instance = new(() => new ContractSchema(
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Cloudflare", "Contracts", "schema.json")))!.AsObject()));

    private readonly JsonObject _root;

    private ContractSchema(JsonObject root) => _root = root;

    public static ContractSchema Load() => Instance.Value;

    public IEnumerable<string> ModelNames => _root["models"]!.AsObject().Select(p => p.Key);

    public IEnumerable<string> RequestNames => _root["requests"]!.AsObject().Select(p => p.Key);

    public JsonObject Request(string name) => _root["requests"]![name]!.AsObject();

    public string Source(string model) => _root["models"]![model]!["src"]!.GetValue<string>();

    /// <summary>The member names of a model.</summary>
    public IReadOnlyList<string> Members(string model) => [.. Properties(model).Select(p => p.Key)];

    /// <summary>A payload of <paramref name="model"/> in <paramref name="form"/>.</summary>
    public JsonObject Generate(string model, PayloadForm form) => GenerateObject(model, form, model);

    /// <summary>The standard envelope around <paramref name="result"/> (api-schemas api-response-common) in <paramref name="form"/>.</summary>
    public JsonObject Envelope(JsonNode? result, PayloadForm form)
    {
        var envelope = new JsonObject { ["success"] = true, ["errors"] = new JsonArray(), ["messages"] = new JsonArray() };
        if (form != PayloadForm.Minimal)
        {
            // messages: the common schema's objects and the Queues API's plain strings, side by side
            envelope["messages"] = new JsonArray(Generate("ResponseInfo", form), "a plain informational message");
            envelope["result_info"] = Generate("ResultInfo", form);
        }

        if (form == PayloadForm.Unknown)
        {
            envelope[UnknownMember] = UnknownValue();
        }

        envelope["result"] = result;
        return envelope;
    }

    private IEnumerable<KeyValuePair<string, JsonNode?>> Properties(string model) =>
        _root["models"]![model]?["properties"]?.AsObject() ?? throw new ArgumentException($"No model '{model}' in schema.json.", nameof(model));

    private JsonObject GenerateObject(string model, PayloadForm form, string path)
    {
        var result = new JsonObject();
        foreach (var (name, spec) in Properties(model))
        {
            var required = spec is JsonObject o && o["required"]?.GetValue<bool>() == true;
            if (form == PayloadForm.Minimal && !required)
            {
                continue;
            }

            var type = spec is JsonObject so ? so["type"]! : spec!;
            result[name] = Value(type, form, path + "." + name, name);
        }

        if (form == PayloadForm.Unknown)
        {
            result[UnknownMember] = UnknownValue();
        }

        return result;
    }

    private JsonNode? Value(JsonNode type, PayloadForm form, string path, string name)
    {
        if (type is JsonValue v)
        {
            return v.GetValue<string>() switch
            {
                "string" => $"{name}-{Hash(path)}",
                "integer" => 7,
                "number" => form == PayloadForm.Floats ? JsonValue.Create(3.0m) : JsonValue.Create(3),
                "boolean" => true,
                "date-time" => "2025-06-01T10:16:00Z",
                "date-time-ms" => "2025-06-01T10:16:00.123Z",
                "base64-json" => Convert.ToBase64String(Encoding.UTF8.GetBytes($$"""{"account":"acct","action":"PutObject","bucket":"logs","object":{"key":"{{name}}/a.log.gz","size":10,"eTag":"e1"},"eventTime":"2025-06-01T10:16:00.123Z"}""")),
                "content-type-metadata" => new JsonObject { ["CF-Content-Type"] = "json" },
                var other => throw new InvalidOperationException($"Unknown type '{other}' at {path}."),
            };
        }

        var t = type.AsObject();
        if (t["ref"] is { } reference)
        {
            return GenerateObject(reference.GetValue<string>(), form, path);
        }

        if (t["enum"] is JsonArray values)
        {
            return values[0]!.DeepClone();
        }

        if (t["array"] is { } item)
        {
            // two items in the full forms, one in the minimal form (so item parsing is exercised either way)
            var count = form == PayloadForm.Minimal ? 1 : 2;
            return new JsonArray([.. Enumerable.Range(0, count).Select(i => Value(item, form, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", name))]);
        }

        if (t["map"] is { } entry)
        {
            return new JsonObject { ["key-1"] = Value(entry, form, path + "{}", "entry") };
        }

        throw new InvalidOperationException($"Unknown type {type.ToJsonString()} at {path}.");
    }

    private static JsonObject UnknownValue() => new() { ["nested"] = new JsonArray(1, "two", null, new JsonObject { ["deep"] = false }), ["flag"] = true };

    private static string Hash(string path) => (path.Aggregate(17, (h, c) => unchecked((h * 31) + c)) & 0xffff).ToString("x4", CultureInfo.InvariantCulture);
}
