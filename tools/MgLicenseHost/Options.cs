using System.Management.Automation.Runspaces;
using System.Text;

namespace MgLicense.Host;

/// <summary>The command line, parsed the way pwsh parses the same switches.</summary>
internal sealed class Options
{
    public const string Usage =
        """
        Usage: mglhost [-NoProfile] [-NonInteractive] [-ExecutionPolicy <policy>]
                       (-Command <text...> | -Command - | -File <path> [args...] | <path> [args...])

          -Command, -c   Runs the text (all remaining arguments, joined by spaces). '-' reads it from stdin.
          -File, -f      Runs a script; named (-Task Test, -Task:Test) and positional arguments bind like pwsh -File.
          -NoProfile     Accepted; mglhost never loads profiles.
          -NonInteractive  Prompts (-Confirm, missing mandatory parameters, ReadLine) fail instead of reading stdin.
          -ExecutionPolicy Sets the session's execution policy (Windows only matters).
          -Help, -?      Shows this text.  -Version shows the host and engine versions.

        Exit code (as pwsh): the value given to 'exit N'; 1 after an uncaught terminating error or a stopped
        pipeline (Ctrl+C); otherwise -Command gives 0 or 1 by $? after its last statement and -File gives 0;
        64 for a bad command line.
        """;

    public string? Command { get; private set; }
    public string? File { get; private set; }
    public List<CommandParameter> FileArgs { get; } = new();
    public bool NonInteractive { get; private set; }
    public bool NoProfile { get; private set; }
    public string? ExecutionPolicy { get; private set; }
    public bool ShowHelp { get; private set; }
    public bool ShowVersion { get; private set; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        int i = 0;
        while (i < args.Length)
        {
            string arg = args[i];
            if (arg.Length < 2 || !IsDash(arg[0]))
            {
                // pwsh treats the first argument that is not a switch as the script file.
                o.ParseFile(args, i);
                return o;
            }

            string name = arg.TrimStart('-', '\u2013', '\u2014', '\u2015', '/').ToLowerInvariant();
            if (Matches(name, "command", "c"))
            {
                i++;
                if (i >= args.Length)
                {
                    throw new UsageException("Missing the argument of -Command.");
                }

                o.Command = args[i] == "-" && i == args.Length - 1
                    ? Console.In.ReadToEnd()
                    : string.Join(' ', args, i, args.Length - i);
                return o;
            }

            if (Matches(name, "file", "f"))
            {
                i++;
                if (i >= args.Length)
                {
                    throw new UsageException("Missing the argument of -File.");
                }

                o.ParseFile(args, i);
                return o;
            }

            if (Matches(name, "noprofile", "nop"))
            {
                o.NoProfile = true;
            }
            else if (Matches(name, "noninteractive", "noni"))
            {
                o.NonInteractive = true;
            }
            else if (Matches(name, "nologo", "nol"))
            {
                // accepted for pwsh compatibility; mglhost prints no banner
            }
            else if (Matches(name, "executionpolicy", "ex") || name == "ep")
            {
                i++;
                if (i >= args.Length)
                {
                    throw new UsageException("Missing the argument of -ExecutionPolicy.");
                }

                o.ExecutionPolicy = args[i];
            }
            else if (name is "help" or "h" or "?")
            {
                o.ShowHelp = true;
                return o;
            }
            else if (Matches(name, "version", "v"))
            {
                o.ShowVersion = true;
                return o;
            }
            else
            {
                throw new UsageException($"The argument '{arg}' is not a known mglhost switch.");
            }

            i++;
        }

        throw new UsageException("Nothing to run: give -Command <text> or -File <path>.");
    }

    // pwsh accepts any unambiguous prefix of a switch that is at least as long as its short form.
    private static bool Matches(string given, string full, string shortest) =>
        given.Length >= shortest.Length && full.StartsWith(given, StringComparison.Ordinal);

    private static bool IsDash(char c) => c is '-' or '\u2013' or '\u2014' or '\u2015';

    private void ParseFile(string[] args, int i)
    {
        File = args[i];
        i++;
        string? pendingParameter = null;

        // As pwsh -File: "-Name" becomes a parameter whose value the binder takes from the next argument
        // (or a switch); "-Name:value" binds the value ('$true'/'false' become booleans); the rest are positional.
        for (; i < args.Length; i++)
        {
            string arg = args[i];
            if (pendingParameter != null)
            {
                FileArgs.Add(new CommandParameter(pendingParameter, arg));
                pendingParameter = null;
            }
            else if (arg.Length > 1 && IsDash(arg[0]))
            {
                int colon = arg.IndexOf(':');
                if (colon < 0)
                {
                    FileArgs.Add(new CommandParameter(arg));
                }
                else if (colon == arg.Length - 1)
                {
                    pendingParameter = arg.TrimEnd(':');
                }
                else
                {
                    FileArgs.Add(new CommandParameter(arg[..colon], ToBoolIfPossible(arg[(colon + 1)..])));
                }
            }
            else
            {
                FileArgs.Add(new CommandParameter(null, arg));
            }
        }

        if (pendingParameter != null)
        {
            FileArgs.Add(new CommandParameter(pendingParameter));
        }
    }

    private static object ToBoolIfPossible(string value) =>
        value.Length > 0 && bool.TryParse(value.AsSpan(value[0] == '$' ? 1 : 0), out bool b) ? b : value;
}

internal sealed class UsageException(string message) : Exception(message);
