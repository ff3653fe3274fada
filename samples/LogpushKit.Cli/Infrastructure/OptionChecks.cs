using System.CommandLine;
using System.Globalization;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>Checks on option values that run only when the value parsed (one that does not parse has its own error).</summary>
internal static class OptionChecks
{
    /// <summary>Adds the check that <paramref name="valid"/> holds for the value, else the usage error <paramref name="message"/>.</summary>
    public static void Require<T>(this Option<T> option, Func<T, bool> valid, string message)
        => option.Validators.Add(result =>
        {
            T? value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not a T: System.CommandLine reports that itself (GetValueOrDefault would end the process with a stack trace)
            }

            if (value is not null && !valid(value))
            {
                result.AddError(message);
            }
        });

    /// <summary>Adds the check that the value is between <paramref name="min"/> and <paramref name="max"/> (inclusive).</summary>
    public static void RequireRange(this Option<int> option, int min, int max)
        => option.Require(value => value >= min && value <= max, RangeMessage(option, min, max));

    /// <summary>Adds the check that the value, when given, is between <paramref name="min"/> and <paramref name="max"/> (inclusive).</summary>
    public static void RequireRange(this Option<int?> option, int min, int max)
        => option.Require(value => value >= min && value <= max, RangeMessage(option, min, max));

    private static string RangeMessage(Option option, int min, int max)
        => string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be {min}-{max}.");
}
