using System.CommandLine;

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
}
