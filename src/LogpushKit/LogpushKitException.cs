namespace LogpushKit;

/// <summary>
/// The base of every exception LogpushKit throws on purpose. Catch this to handle any LogpushKit failure;
/// catch a subclass for the context it carries (object key, line, byte offset, HTTP status, Cloudflare error codes).
/// </summary>
public class LogpushKitException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public LogpushKitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public LogpushKitException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
