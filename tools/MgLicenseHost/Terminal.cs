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

    public static int Width
    {
        get
        {
            if (StdoutIsTerminal || StderrIsTerminal)
            {
                try
                {
                    int w = Console.WindowWidth;
                    if (w > 0)
                    {
                        return w;
                    }
                }
                catch (IOException)
                {
                }
            }

            return FallbackWidth;
        }
    }

    public static int Height
    {
        get
        {
            if (StdoutIsTerminal || StderrIsTerminal)
            {
                try
                {
                    int h = Console.WindowHeight;
                    if (h > 0)
                    {
                        return h;
                    }
                }
                catch (IOException)
                {
                }
            }

            return FallbackHeight;
        }
    }

    private static bool IsDumb() => string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);

    /// <summary>Removes CSI and OSC escape sequences (colours, hyperlinks) from text bound for a pipe or file.</summary>
    public static string StripEscapes(string text) =>
        text.Contains('\u001b') ? EscapeSequence().Replace(text, string.Empty) : text;

    [GeneratedRegex(@"\u001b(\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(\u0007|\u001b\\)|[@-Z\\-_])")]
    private static partial Regex EscapeSequence();
}
