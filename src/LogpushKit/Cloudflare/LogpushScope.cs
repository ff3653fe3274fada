using System.Globalization;

namespace LogpushKit.Cloudflare;

/// <summary>Where a Logpush job lives: an account (<c>/accounts/{id}</c>) or a zone (<c>/zones/{id}</c>), matching its dataset's scope.</summary>
public sealed record LogpushScope
{
    private LogpushScope(LogpushScopeKind kind, string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Kind = kind;
        Id = id;
    }

    /// <summary>Account or zone.</summary>
    public LogpushScopeKind Kind { get; }

    /// <summary>The account or zone id.</summary>
    public string Id { get; }

    /// <summary>The account scope.</summary>
    /// <param name="accountId">The account id.</param>
    /// <returns>The scope.</returns>
    public static LogpushScope Account(string accountId) => new(LogpushScopeKind.Account, accountId);

    /// <summary>The zone scope.</summary>
    /// <param name="zoneId">The zone id.</param>
    /// <returns>The scope.</returns>
    public static LogpushScope Zone(string zoneId) => new(LogpushScopeKind.Zone, zoneId);

    /// <summary>The path prefix without slashes, e.g. <c>accounts/023e…</c>.</summary>
    public string PathPrefix => string.Create(CultureInfo.InvariantCulture, $"{(Kind == LogpushScopeKind.Account ? "accounts" : "zones")}/{Uri.EscapeDataString(Id)}");

    /// <inheritdoc />
    public override string ToString() => PathPrefix;
}

/// <summary>The kind of a <see cref="LogpushScope"/>.</summary>
public enum LogpushScopeKind
{
    /// <summary>An account (<c>/accounts/{account_id}</c>).</summary>
    Account,

    /// <summary>A zone (<c>/zones/{zone_id}</c>).</summary>
    Zone,
}
