using LogpushKit.Storage;

namespace LogpushKit.Pipeline;

/// <summary>
/// <see cref="LogpushObjectProcessor"/> refused to write a target because writing it would destroy data: the target is
/// the source object itself, another object of the source, or the conversion of another source object (two source keys
/// map to one target key). Nothing was written. The message names every key involved (escaped).
/// </summary>
public sealed class TargetConflictException : LogpushKitException
{
    /// <summary>Creates the exception.</summary>
    public TargetConflictException(string message, string sourceKey, string targetKey, string? otherSourceKey = null)
        : base(message)
    {
        SourceKey = sourceKey;
        TargetKey = targetKey;
        OtherSourceKey = otherSourceKey;
    }

    /// <summary>The source object being converted.</summary>
    public string SourceKey { get; }

    /// <summary>The target key it maps to.</summary>
    public string TargetKey { get; }

    /// <summary>The other source object the target belongs to (a collision), if that is the conflict.</summary>
    public string? OtherSourceKey { get; }

    internal static string Show(string key) => ObjectKeyText.Escape(key);
}
