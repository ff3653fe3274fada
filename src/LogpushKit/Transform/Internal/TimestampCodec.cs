using System.Globalization;

namespace LogpushKit.Transform;

/// <summary>
/// Parses Logpush timestamps into exact nanoseconds since the Unix epoch and formats them again, with integer
/// arithmetic only (never through <see cref="double"/>).
/// </summary>
internal sealed class TimestampCodec
{
    private const long NanosPerSecond = 1_000_000_000;
    private const long NanosPerTick = 100;
    private static readonly Int128 MinNanos = (Int128)(DateTimeOffset.MinValue.UtcTicks - DateTime.UnixEpoch.Ticks) * NanosPerTick;
    private static readonly Int128 MaxNanos = (Int128)(DateTimeOffset.MaxValue.UtcTicks - DateTime.UnixEpoch.Ticks) * NanosPerTick;

    private readonly LogpushTimestampFormat _input;
    private readonly TimestampOutputFormat _output;
    private readonly string? _customFormat;
    private readonly TimeZoneInfo _timeZone;
    private readonly bool _utc;

    public TimestampCodec(LogpushTimestampFormat input, TimestampOutputFormat output, string? customFormat, TimeZoneInfo timeZone)
    {
        _input = input;
        _output = output;
        _customFormat = customFormat;
        _timeZone = timeZone;
        _utc = timeZone == TimeZoneInfo.Utc || (timeZone.BaseUtcOffset == TimeSpan.Zero && !timeZone.SupportsDaylightSavingTime);
        MaxOutputBytes = output == TimestampOutputFormat.Custom ? MeasureCustom(customFormat!) : 48;
    }

    /// <summary>An upper bound of the bytes one formatted timestamp takes.</summary>
    public int MaxOutputBytes { get; }

    /// <summary>Checks that <paramref name="format"/> is a usable .NET custom date/time format; returns an upper bound of its output length.</summary>
    public static int MeasureCustom(string format)
    {
        Span<byte> probe = stackalloc byte[1024];
        var sample = new DateTimeOffset(2000, 12, 31, 23, 59, 59, TimeSpan.FromHours(-9.5)).AddTicks(1234567);
        if (!sample.TryFormat(probe, out var written, format, CultureInfo.InvariantCulture))
        {
            throw new ArgumentException("TimestampCustomFormat produces more than 1024 bytes.", nameof(TransformOptions.TimestampCustomFormat));
        }

        return (written * 2) + 64;
    }

    /// <summary>Parses a JSON value (string content without quotes, or a number token).</summary>
    public bool TryParse(ReadOnlySpan<byte> value, bool isString, out Int128 nanos, out string? error)
    {
        nanos = 0;
        var numeric = IsInteger(value);
        if (numeric && (!isString || _input != LogpushTimestampFormat.Rfc3339))
        {
            if (_input == LogpushTimestampFormat.Rfc3339)
            {
                error = "expected RFC 3339 text, found a number";
                return false;
            }

            return TryParseInteger(value, out nanos, out error);
        }

        if (!isString)
        {
            error = "not an integer timestamp";
            return false;
        }

        if (_input is LogpushTimestampFormat.Unix or LogpushTimestampFormat.UnixNano)
        {
            error = "expected an integer timestamp";
            return false;
        }

        return TryParseRfc3339(value, out nanos, out error);
    }

    /// <summary>Formats <paramref name="nanos"/> into <paramref name="destination"/>; returns bytes written, or -1 when out of range.</summary>
    public int Format(Int128 nanos, Span<byte> destination)
    {
        int written;
        switch (_output)
        {
            case TimestampOutputFormat.UnixNano:
                nanos.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
                return written;
            case TimestampOutputFormat.Unix:
                FloorDiv(nanos, NanosPerSecond).TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
                return written;
            case TimestampOutputFormat.UnixMs:
                FloorDiv(nanos, 1_000_000).TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
                return written;
        }

        if (nanos < MinNanos || nanos > MaxNanos)
        {
            return -1;
        }

        var utc = new DateTimeOffset(DateTime.UnixEpoch.Ticks + (long)FloorDiv(nanos, NanosPerTick), TimeSpan.Zero);
        var local = _utc ? utc : TimeZoneInfo.ConvertTime(utc, _timeZone);
        var format = _output switch
        {
            TimestampOutputFormat.Rfc3339 => _utc ? "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'" : "yyyy'-'MM'-'dd'T'HH':'mm':'sszzz",
            TimestampOutputFormat.Rfc3339Ms => _utc ? "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'" : "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffzzz",
            _ => _customFormat!,
        };
        return local.TryFormat(destination, out written, format, CultureInfo.InvariantCulture) ? written : -1;
    }

    private static Int128 FloorDiv(Int128 value, long divisor)
    {
        var q = value / divisor;
        if (value % divisor < 0)
        {
            q--;
        }

        return q;
    }

    private static bool IsInteger(ReadOnlySpan<byte> value)
    {
        if (value.Length > 0 && value[0] == (byte)'-')
        {
            value = value[1..];
        }

        return value.Length > 0 && !value.ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }

    private bool TryParseInteger(ReadOnlySpan<byte> value, out Int128 nanos, out string? error)
    {
        nanos = 0;
        var negative = value[0] == (byte)'-';
        var digits = negative ? value[1..] : value;
        var significant = digits.TrimStart((byte)'0').Length;
        if (significant > 20)
        {
            error = "integer timestamp out of range";
            return false;
        }

        Int128 n = 0;
        foreach (var d in digits)
        {
            n = (n * 10) + (d - '0');
        }

        var count = digits.Length;
        Int128 scale = _input switch
        {
            LogpushTimestampFormat.Unix => NanosPerSecond,
            LogpushTimestampFormat.UnixNano => 1,
            _ => count <= 11 ? NanosPerSecond : count <= 14 ? 1_000_000 : count <= 17 ? 1_000 : 1,
        };
        nanos = n * scale;
        if (negative)
        {
            nanos = -nanos;
        }

        if (nanos < MinNanos || nanos > MaxNanos)
        {
            error = "timestamp out of range (years 0001-9999)";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>RFC 3339: <c>YYYY-MM-DD[T|t| ]hh:mm:ss[.fraction](Z|z|±hh:mm)</c>; fractions beyond nanoseconds are truncated.</summary>
    private static bool TryParseRfc3339(ReadOnlySpan<byte> s, out Int128 nanos, out string? error)
    {
        nanos = 0;
        error = "not an RFC 3339 timestamp";
        if (s.Length < 20
            || !Digits(s, 0, 4, out var year) || s[4] != '-' || !Digits(s, 5, 2, out var month) || s[7] != '-'
            || !Digits(s, 8, 2, out var day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
            || !Digits(s, 11, 2, out var hour) || s[13] != ':' || !Digits(s, 14, 2, out var minute) || s[16] != ':'
            || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            error = "RFC 3339 timestamp has an invalid date or time";
            return false;
        }

        var p = 19;
        long fraction = 0;
        if (p < s.Length && s[p] == '.')
        {
            p++;
            var start = p;
            var scale = 100_000_000L;
            while (p < s.Length && s[p] is >= (byte)'0' and <= (byte)'9')
            {
                fraction += (s[p] - '0') * scale;
                scale /= 10;
                p++;
            }

            if (p == start)
            {
                return false;
            }
        }

        long offsetSeconds;
        if (p == s.Length - 1 && (s[p] == 'Z' || s[p] == 'z'))
        {
            offsetSeconds = 0;
        }
        else if (p == s.Length - 6 && (s[p] == '+' || s[p] == '-') && Digits(s, p + 1, 2, out var oh) && s[p + 3] == ':' && Digits(s, p + 4, 2, out var om) && oh < 24 && om < 60)
        {
            offsetSeconds = ((oh * 3600) + (om * 60)) * (s[p] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }

        var seconds = ((new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond) - offsetSeconds;
        nanos = ((Int128)seconds * NanosPerSecond) + fraction;
        error = null;
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length)
        {
            return false;
        }

        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }
}
