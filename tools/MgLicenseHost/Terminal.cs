using System.Text.RegularExpressions;

namespace MgLicense.Host;

/// <summary>
/// What the process is attached to. Decides whether escape sequences reach a stream:
/// a terminal gets colours, a pipe or file gets plain text (as pwsh's OutputRendering=Host).
/// </summary>
internal static partial class Terminal
{
    public const int FallbackWidth = 120;
    public const int FallbackHeight = 50;

    public static readonly bool StdoutIsTerminal = !Console.IsOutputRedirected && !IsDumb();
    public static readonly bool StderrIsTerminal = !Console.IsErrorRedirected && !IsDumb();
    public static readonly bool StdinIsTerminal = !Console.IsInputRedirected;

    /// <summary>Colours only when some output is a terminal and NO_COLOR is not set.</summary>
    public static bool AnsiAllowed =>
        (StdoutIsTerminal || StderrIsTerminal) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    /// <summary>The width output is formatted for: the terminal's when stdout is one, else 120.</summary>
    public static int Width => StdoutIsTerminal ? WindowWidth() ?? FallbackWidth : FallbackWidth;

    /// <summary>The width of the progress line, which lives on stderr.</summary>
    public static int ProgressWidth => StderrIsTerminal ? WindowWidth() ?? FallbackWidth : FallbackWidth;

    public static int Height => StdoutIsTerminal || StderrIsTerminal ? WindowHeight() ?? FallbackHeight : FallbackHeight;

    private static int? WindowWidth()
    {
        try
        {
            int w = Console.WindowWidth;
            return w > 0 ? w : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int? WindowHeight()
    {
        try
        {
            int h = Console.WindowHeight;
            return h > 0 ? h : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsDumb() => string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);

    /// <summary>Removes CSI and OSC escape sequences (colours, hyperlinks) from text bound for a pipe or file.</summary>
    public static string StripEscapes(string text) =>
        text.Contains('\u001b') ? EscapeSequence().Replace(text, string.Empty) : text;

    [GeneratedRegex(@"\u001b(\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(\u0007|\u001b\\)|[@-Z\\-_])")]
    private static partial Regex EscapeSequence();
}
