using System.Collections;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace MgLicense.Host;

/// <summary>
/// Text in and out the way pwsh's console host does it: output, warnings, verbose and debug on
/// stdout, errors on stderr, progress on stderr, prompts on stdout with answers from stdin.
/// </summary>
internal sealed class HostUserInterface : PSHostUserInterface, IHostUISupportsMultipleChoiceSelection
{
    private const string NonInteractiveMessage =
        "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.";

    private readonly ConsoleOutput _output;
    private readonly ConsoleInput _input;
    private readonly HostRawUserInterface _rawUI = new();
    private readonly bool _nonInteractive;
    private readonly object _promptLock = new();

    public HostUserInterface(ConsoleOutput output, ConsoleInput input, bool nonInteractive)
    {
        _output = output;
        _input = input;
        _nonInteractive = nonInteractive;
    }

    public override PSHostRawUserInterface RawUI => _rawUI;

    public override bool SupportsVirtualTerminal => Terminal.AnsiAllowed;

    // ---- output -------------------------------------------------------------------------------

    public override void Write(string value) => _output.Stdout(value, newline: false);

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        _output.Stdout(Colorize(foregroundColor, backgroundColor, value), newline: false);

    public override void WriteLine() => _output.Stdout(string.Empty, newline: true);

    public override void WriteLine(string value) => _output.Stdout(value, newline: true);

    public override void WriteLine(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        _output.Stdout(Colorize(foregroundColor, backgroundColor, value), newline: true);

    public override void WriteErrorLine(string value)
    {
        // ConciseView text arrives already decorated; plain messages get the error colour as in pwsh.
        string text = value.Contains('\u001b') ? value : Decorate(PSStyle.Instance.Formatting.Error, value);
        _output.Stderr(text, newline: true);
    }

    public override void WriteWarningLine(string message) =>
        _output.Stdout(Decorate(PSStyle.Instance.Formatting.Warning, "WARNING: " + message), newline: true);

    public override void WriteVerboseLine(string message) =>
        _output.Stdout(Decorate(PSStyle.Instance.Formatting.Verbose, "VERBOSE: " + message), newline: true);

    public override void WriteDebugLine(string message) =>
        _output.Stdout(Decorate(PSStyle.Instance.Formatting.Debug, "DEBUG: " + message), newline: true);

    // The engine itself prints information records (Write-Information -InformationAction Continue,
    // HostInformationMessage) through WriteLine; this callback is for hosts that keep them, as pwsh's does not.
    public override void WriteInformation(InformationRecord record)
    {
    }

    public override void WriteProgress(long sourceId, ProgressRecord record) => _output.Progress(sourceId, record);

    private static string Decorate(string style, string text) =>
        Terminal.AnsiAllowed && !string.IsNullOrEmpty(style) ? style + text + PSStyle.Instance.Reset : text;

    private string Colorize(ConsoleColor fg, ConsoleColor bg, string text)
    {
        if (!Terminal.AnsiAllowed || (fg == _rawUI.ForegroundColor && bg == _rawUI.BackgroundColor))
        {
            return text;
        }

        var sb = new StringBuilder();
        if (fg != _rawUI.ForegroundColor)
        {
            sb.Append(PSStyle.MapForegroundColorToEscapeSequence(fg));
        }

        if (bg != _rawUI.BackgroundColor)
        {
            sb.Append(PSStyle.MapBackgroundColorToEscapeSequence(bg));
        }

        return sb.Append(text).Append(PSStyle.Instance.Reset).ToString();
    }

    // ---- input --------------------------------------------------------------------------------

    /// <summary>A line from stdin; null at end of input (as Console.ReadLine).</summary>
    public override string ReadLine()
    {
        EnsureInteractive();
        string? line = ReadOrStop(allowEof: true);
        return line!;
    }

    /// <summary>A line read without echo. End of input cancels, like Ctrl+C.</summary>
    public override SecureString ReadLineAsSecureString()
    {
        EnsureInteractive();
        try
        {
            return _input.ReadSecret() ?? throw StopAtEndOfInput();
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    private void EnsureInteractive()
    {
        if (_nonInteractive)
        {
            throw new PSInvalidOperationException(NonInteractiveMessage);
        }
    }

    private string? ReadOrStop(bool allowEof)
    {
        string? line;
        try
        {
            line = _input.ReadLine();
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C while waiting for an answer: PipelineStoppedException tells the engine to stop the pipeline.
            _output.Stdout(string.Empty, newline: true);
            throw new PipelineStoppedException();
        }

        if (line == null && !allowEof)
        {
            throw StopAtEndOfInput();
        }

        if (line != null && !Terminal.StdinIsTerminal)
        {
            // The answer came from a pipe and was not echoed: show it so the log reads like a session.
            _output.Stdout(line, newline: true);
        }

        return line;
    }

    private PipelineStoppedException StopAtEndOfInput()
    {
        // Nobody is left to answer: stop the pipeline as Ctrl+C would, rather than guess an answer.
        // Say why on stderr, since a stopped pipeline prints nothing else.
        _output.Stdout(string.Empty, newline: true);
        _output.Stderr("mglhost: standard input ended while a prompt was waiting for an answer; the pipeline was stopped.", newline: true);
        return new PipelineStoppedException();
    }

    // ---- prompts ------------------------------------------------------------------------------

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        EnsureInteractive();
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0)
        {
            throw new ArgumentException("There must be at least one choice.", nameof(choices));
        }

        if (defaultChoice < -1 || defaultChoice >= choices.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(defaultChoice));
        }

        lock (_promptLock)
        {
            WriteCaptionAndMessage(caption, message);
            var labels = HotkeysAndLabels(choices);
            var defaults = defaultChoice >= 0 ? new[] { defaultChoice } : Array.Empty<int>();
            while (true)
            {
                WriteChoicePrompt(labels, defaults, multipleChoice: false);
                string response = ReadOrStop(allowEof: false)!;
                if (response.Length == 0)
                {
                    if (defaultChoice >= 0)
                    {
                        return defaultChoice;
                    }

                    continue;
                }

                if (response.Trim() == "?")
                {
                    ShowChoiceHelp(choices, labels);
                    continue;
                }

                int picked = ChoicePicked(response.Trim(), labels);
                if (picked >= 0)
                {
                    return picked;
                }
            }
        }
    }

    public Collection<int> PromptForChoice(string? caption, string? message, Collection<ChoiceDescription> choices, IEnumerable<int>? defaultChoices)
    {
        EnsureInteractive();
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0)
        {
            throw new ArgumentException("There must be at least one choice.", nameof(choices));
        }

        var defaults = (defaultChoices ?? Array.Empty<int>()).Distinct().ToArray();
        if (defaults.Any(d => d < 0 || d >= choices.Count))
        {
            throw new ArgumentOutOfRangeException(nameof(defaultChoices));
        }

        lock (_promptLock)
        {
            WriteCaptionAndMessage(caption, message);
            var labels = HotkeysAndLabels(choices);
            WriteChoicePrompt(labels, defaults, multipleChoice: true);
            if (defaults.Length > 0)
            {
                WriteLine();
            }

            var result = new Collection<int>();
            while (true)
            {
                Write(string.Format(CultureInfo.InvariantCulture, "Choice[{0}]: ", result.Count));
                string response = ReadOrStop(allowEof: false)!;
                if (response.Length == 0)
                {
                    if (result.Count == 0)
                    {
                        foreach (int d in defaults)
                        {
                            result.Add(d);
                        }
                    }

                    return result;
                }

                if (response.Trim() == "?")
                {
                    ShowChoiceHelp(choices, labels);
                    continue;
                }

                int picked = ChoicePicked(response.Trim(), labels);
                if (picked >= 0)
                {
                    result.Add(picked);
                }
            }
        }
    }

    private void WriteCaptionAndMessage(string? caption, string? message)
    {
        if (!string.IsNullOrEmpty(caption))
        {
            WriteLine();
            WriteLine(caption);
        }

        if (!string.IsNullOrEmpty(message))
        {
            WriteLine(message);
        }
    }

    /// <summary>[0] the hotkey ("Y" for "&amp;Yes"), [1] the label without the ampersand.</summary>
    private static (string Hotkey, string Label)[] HotkeysAndLabels(Collection<ChoiceDescription> choices)
    {
        var result = new (string, string)[choices.Count];
        for (int i = 0; i < choices.Count; i++)
        {
            string label = choices[i].Label;
            int amp = label.IndexOf('&');
            if (amp < 0)
            {
                result[i] = (string.Empty, label);
                continue;
            }

            string hotkey = amp + 1 < label.Length
                ? CultureInfo.CurrentCulture.TextInfo.ToUpper(label.Substring(amp + 1, 1).Trim())
                : string.Empty;
            result[i] = (hotkey, label.Remove(amp, 1).Trim());
        }

        return result;
    }

    private void WriteChoicePrompt((string Hotkey, string Label)[] labels, int[] defaults, bool multipleChoice)
    {
        var parts = labels.Select(l => string.Format(CultureInfo.InvariantCulture, "[{0}] {1}", l.Hotkey, l.Label)).ToList();
        parts.Add("[?] Help ");
        Write(multipleChoice ? string.Join(Environment.NewLine, parts) : JoinWrapped("  ", parts));

        if (defaults.Length > 0)
        {
            string keys = string.Join(",", defaults.Select(d => labels[d].Hotkey.Length > 0 ? labels[d].Hotkey : labels[d].Label));
            string text = defaults.Length == 1
                ? string.Format(CultureInfo.InvariantCulture, "(default is \"{0}\"):", keys)
                : string.Format(CultureInfo.InvariantCulture, "(default choices are {0})", keys);
            Write(text + " ");
        }
    }

    private string JoinWrapped(string separator, List<string> values)
    {
        int max = _rawUI.WindowSize.Width;
        var sb = new StringBuilder();
        int lineLength = 0;
        foreach (string value in values)
        {
            if (sb.Length == 0)
            {
                sb.Append(value);
                lineLength = value.Length;
            }
            else if (lineLength + value.Length + separator.Length < max)
            {
                sb.Append(separator).Append(value);
                lineLength += value.Length + separator.Length;
            }
            else
            {
                sb.Append(Environment.NewLine).Append(value);
                lineLength = value.Length;
            }
        }

        return sb.ToString();
    }

    private void ShowChoiceHelp(Collection<ChoiceDescription> choices, (string Hotkey, string Label)[] labels)
    {
        for (int i = 0; i < choices.Count; i++)
        {
            string key = labels[i].Hotkey.Length > 0 ? labels[i].Hotkey : labels[i].Label;
            WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} - {1}", key, choices[i].HelpMessage));
        }
    }

    private static int ChoicePicked(string response, (string Hotkey, string Label)[] labels)
    {
        // The full label first (least ambiguous), then the hotkeys, both ignoring case: as pwsh.
        for (int i = 0; i < labels.Length; i++)
        {
            if (string.Compare(response, labels[i].Label, StringComparison.CurrentCultureIgnoreCase) == 0)
            {
                return i;
            }
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i].Hotkey.Length > 0
                && string.Compare(response, labels[i].Hotkey, StringComparison.CurrentCultureIgnoreCase) == 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Used by the engine for missing mandatory parameters ("Supply values for the following parameters:").</summary>
    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        EnsureInteractive();
        ArgumentNullException.ThrowIfNull(descriptions);
        if (descriptions.Count == 0)
        {
            throw new ArgumentException("There must be at least one field.", nameof(descriptions));
        }

        lock (_promptLock)
        {
            WriteCaptionAndMessage(caption, message);
            if (descriptions.Any(d => !string.IsNullOrEmpty(d?.HelpMessage)))
            {
                WriteLine("(Type !? for Help.)");
            }

            var results = new Dictionary<string, PSObject>();
            foreach (FieldDescription desc in descriptions)
            {
                Type type = FieldType(desc);
                object? value;
                if (typeof(IList).IsAssignableFrom(type) && type != typeof(string))
                {
                    Type elementType = type.IsArray ? type.GetElementType()! : typeof(object);
                    var items = new ArrayList();
                    while (true)
                    {
                        string itemPrompt = string.Format(CultureInfo.InvariantCulture, "{0}[{1}]: ", desc.Name, items.Count);
                        if (!PromptForItem(elementType, itemPrompt, desc, endOnEmpty: true, out object? item))
                        {
                            break;
                        }

                        items.Add(item);
                    }

                    value = LanguagePrimitives.TryConvertTo(items, type, CultureInfo.InvariantCulture, out object? converted)
                        ? converted
                        : items;
                }
                else
                {
                    PromptForItem(type, desc.Name + ": ", desc, endOnEmpty: false, out value);
                }

                results[desc.Name] = PSObject.AsPSObject(value ?? string.Empty);
            }

            return results;
        }
    }

    /// <returns>false when a list ends (an empty answer for a list field).</returns>
    private bool PromptForItem(Type type, string prompt, FieldDescription desc, bool endOnEmpty, out object? value)
    {
        value = null;
        if (type == typeof(SecureString))
        {
            Write(prompt);
            SecureString secret = ReadLineAsSecureString();
            value = secret;
            return !(endOnEmpty && secret.Length == 0);
        }

        if (type == typeof(PSCredential))
        {
            WriteLine(desc.Name);
            PSCredential credential = PromptForCredential(null!, null!, null!, string.Empty);
            value = credential;
            return !(endOnEmpty && credential.Password.Length == 0);
        }

        while (true)
        {
            Write(prompt);
            string input = ReadOrStop(allowEof: false)!;
            if (input.StartsWith('!'))
            {
                if (input == "!?")
                {
                    WriteLine(string.IsNullOrEmpty(desc.HelpMessage)
                        ? $"No help is available for {desc.Name}."
                        : desc.HelpMessage);
                    continue;
                }

                if (input.StartsWith("!!", StringComparison.Ordinal))
                {
                    input = input[1..];
                }
            }

            if (endOnEmpty && input.Length == 0)
            {
                return false;
            }

            if (type == typeof(string) || type == typeof(object))
            {
                value = input;
                return true;
            }

            if (LanguagePrimitives.TryConvertTo(input, type, CultureInfo.InvariantCulture, out object? converted))
            {
                value = converted;
                return true;
            }

            WriteErrorLine($"Cannot recognize \"{input}\" as a {type.FullName}.");
        }
    }

    private static Type FieldType(FieldDescription desc)
    {
        Type? type = null;
        try
        {
            type = Type.GetType(desc.ParameterAssemblyFullName, throwOnError: false);
        }
        catch (Exception e) when (e is ArgumentException or IOException or BadImageFormatException)
        {
        }

        if (type == null && !string.IsNullOrEmpty(desc.ParameterTypeFullName))
        {
            LanguagePrimitives.TryConvertTo(desc.ParameterTypeFullName, out type);
        }

        return type ?? typeof(string);
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(
        string caption,
        string message,
        string userName,
        string targetName,
        PSCredentialTypes allowedCredentialTypes,
        PSCredentialUIOptions options)
    {
        EnsureInteractive();
        lock (_promptLock)
        {
            WriteCaptionAndMessage(caption, message);
            string user = userName ?? string.Empty;
            if (user.Length == 0)
            {
                Write("User: ");
                user = ReadOrStop(allowEof: false)!;
            }

            Write($"Password for user {user}: ");
            SecureString password = ReadLineAsSecureString();
            if (!Terminal.StdinIsTerminal)
            {
                WriteLine();
            }

            return new PSCredential(user, password);
        }
    }
}
