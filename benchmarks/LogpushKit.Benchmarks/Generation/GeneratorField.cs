namespace LogpushKit.Benchmarks.Generation;

/// <summary>The JSON shape of a Logpush field, as the dataset field tables give it.</summary>
public enum GeneratorFieldKind
{
    /// <summary><c>string</c> (also fields the docs give no type).</summary>
    String,

    /// <summary><c>int</c>.</summary>
    Int,

    /// <summary><c>float</c>.</summary>
    Float,

    /// <summary><c>bool</c>.</summary>
    Bool,

    /// <summary><c>int or string</c>: a timestamp, written per the job's <c>timestamp_format</c>.</summary>
    Timestamp,

    /// <summary><c>array[string]</c>.</summary>
    StringArray,

    /// <summary><c>array[int]</c>.</summary>
    IntArray,

    /// <summary><c>object</c>.</summary>
    Object,

    /// <summary><c>array[object]</c>.</summary>
    ObjectArray,
}

/// <summary>One field of a generated record: its name and JSON shape.</summary>
public sealed record GeneratorField(string Name, GeneratorFieldKind Kind)
{
    /// <summary>Maps a dataset field-table type (<c>string</c>, <c>int or string</c>, <c>array[int]</c>...) to a kind.</summary>
    public static GeneratorFieldKind KindOf(string? catalogType) => catalogType switch
    {
        "int" => GeneratorFieldKind.Int,
        "float" => GeneratorFieldKind.Float,
        "bool" => GeneratorFieldKind.Bool,
        "int or string" => GeneratorFieldKind.Timestamp,
        "array[string]" => GeneratorFieldKind.StringArray,
        "array[int]" => GeneratorFieldKind.IntArray,
        "object" => GeneratorFieldKind.Object,
        "array[object]" => GeneratorFieldKind.ObjectArray,
        _ => GeneratorFieldKind.String,
    };
}
