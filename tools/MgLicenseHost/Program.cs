using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace MgLicense.Host;

internal static class Program
{
    private const int ExitCommandLineError = 64; // what pwsh returns for a bad command line

    private static int Main(string[] args)
    {
        // Before the engine loads: it reads this once, at start-up.
        Environment.SetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT", "1");

        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Options.Usage);
            return ExitCommandLineError;
        }

        if (options.ShowHelp)
        {
            Console.Out.WriteLine(Options.Usage);
            return 0;
        }

        if (options.ShowVersion)
        {
            Console.Out.WriteLine($"mglhost {typeof(Program).Assembly.GetName().Version} " +
                $"(PowerShell engine {typeof(PSObject).Assembly.GetName().Version})");
            return 0;
        }

        if (options.File != null && !File.Exists(options.File))
        {
            Console.Error.WriteLine(
                $"The argument '{options.File}' is not recognized as the name of a script file. " +
                "Check the spelling of the name, or if a path was included, verify that the path is correct and try again.");
            return ExitCommandLineError;
        }

        if (options.ExecutionPolicy != null && !Enum.TryParse<Microsoft.PowerShell.ExecutionPolicy>(options.ExecutionPolicy, ignoreCase: true, out _))
        {
            Console.Error.WriteLine($"'{options.ExecutionPolicy}' is not an execution policy.");
            return ExitCommandLineError;
        }

        try
        {
            return new Session(options).Run();
        }
        catch (Exception e)
        {
            // The engine failed outside any pipeline (say, the runspace would not open): no Out-Default to ask.
            Console.Error.WriteLine($"mglhost: {e}");
            return 1;
        }
    }
}

/// <summary>
/// One run: open a runspace on our host, run the command or script with its output and errors
/// merged into Out-Default (as pwsh does), and turn the outcome into an exit code.
/// </summary>
internal sealed class Session
{
    private readonly Options _options;
    private readonly ConsoleOutput _output = new();
    private readonly ConsoleInput _input = new();
    private readonly HostUserInterface _ui;
    private readonly MgLicensePSHost _host;
    private readonly object _gate = new();
    private PowerShell? _running;
    private int _cancelRequests;

    public Session(Options options)
    {
        _options = options;
        _ui = new HostUserInterface(_output, _input, options.NonInteractive);
        _host = new MgLicensePSHost(_ui, _output);
    }

    public int Run()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        try
        {
            InitialSessionState iss = InitialSessionState.CreateDefault2();
            // Execution policies exist on Windows only; elsewhere pwsh accepts the switch and ignores it.
            if (_options.ExecutionPolicy != null && OperatingSystem.IsWindows())
            {
                iss.ExecutionPolicy = Enum.Parse<Microsoft.PowerShell.ExecutionPolicy>(_options.ExecutionPolicy, ignoreCase: true);
            }

            using Runspace runspace = RunspaceFactory.CreateRunspace(_host, iss);
            runspace.Open();

            bool completed = RunMain(runspace);
            _output.EndProgress();

            // As pwsh: the code given to 'exit' wins; then a terminating error or a stop gives 1; then $?.
            if (_host.ShouldExit)
            {
                return _host.ExitCode;
            }

            return completed && LastCommandSucceeded(runspace) ? 0 : 1;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancelKeyPress;
        }
    }

    private bool RunMain(Runspace runspace)
    {
        using PowerShell ps = PowerShell.Create();
        ps.Runspace = runspace;
        if (_options.Command != null)
        {
            ps.AddScript(_options.Command);
        }
        else
        {
            var script = new Command(Path.GetFullPath(_options.File!), isScript: false, useLocalScope: false);
            foreach (CommandParameter p in _options.FileArgs)
            {
                script.Parameters.Add(p);
            }

            ps.Commands.AddCommand(script);
            LetExitLeaveTheScript(runspace);
        }

        // As pwsh's console host: errors merged into the output so that Out-Default renders both in order.
        ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
        ps.AddCommand("Out-Default");

        lock (_gate)
        {
            _running = ps;
        }

        try
        {
            // As pwsh: -Command text goes into history and -File does not. A pipeline outside history
            // gives $? back its earlier value afterwards, so -Command exits by the $? its last statement
            // left, while a -File script that ends normally exits 0.
            ps.Invoke(null, new PSInvocationSettings { AddToHistory = _options.Command != null });
            ReportErrors(runspace, ps.Streams.Error);
            return ps.InvocationStateInfo.State != PSInvocationState.Stopped;
        }
        catch (Exception e) when (e is PipelineStoppedException || ps.InvocationStateInfo.State == PSInvocationState.Stopped)
        {
            return false;
        }
        catch (Exception e)
        {
            ReportException(runspace, e);
            return false;
        }
        finally
        {
            lock (_gate)
            {
                _running = null;
            }
        }
    }

    /// <summary>
    /// pwsh -File lets 'exit N' in the script end the process with N. The engine keeps that switch
    /// internal (ExecutionContext.ScriptCommandProcessorShouldRethrowExit), so set it by reflection;
    /// if that ever fails, 'exit N' still sets $LASTEXITCODE and ends the script, and the run exits 0 or 1.
    /// </summary>
    private static void LetExitLeaveTheScript(Runspace runspace)
    {
        const BindingFlags Any = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        try
        {
            object? context = FindProperty(runspace.GetType(), "ExecutionContext", Any)?.GetValue(runspace);
            FindProperty(context?.GetType(), "ScriptCommandProcessorShouldRethrowExit", Any)?.SetValue(context, true);
        }
        catch (Exception e) when (e is TargetInvocationException or MemberAccessException or ArgumentException)
        {
        }
    }

    private static PropertyInfo? FindProperty(Type? type, string name, BindingFlags flags)
    {
        for (; type != null; type = type.BaseType)
        {
            PropertyInfo? p = type.GetProperty(name, flags | BindingFlags.DeclaredOnly);
            if (p != null)
            {
                return p;
            }
        }

        return null;
    }

    private bool LastCommandSucceeded(Runspace runspace)
    {
        using PowerShell ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript("$global:?");
        try
        {
            var result = ps.Invoke();
            return result.Count > 0 && result[0]?.BaseObject is true;
        }
        catch (RuntimeException)
        {
            return false;
        }
    }

    /// <summary>Prints an error that ended the run through Out-Default, so it reads as pwsh prints it.</summary>
    private void ReportException(Runspace runspace, Exception e)
    {
        ErrorRecord record = e is IContainsErrorRecord icer
            ? icer.ErrorRecord
            : new ErrorRecord(e, "MgLicenseHost.ReportException", ErrorCategory.NotSpecified, null);
        ReportErrors(runspace, new[] { record });
    }

    private void ReportErrors(Runspace runspace, IEnumerable<ErrorRecord> records)
    {
        var errors = records.Select(r =>
        {
            var o = new PSObject(r);
            MarkAsErrorStream(o);
            return o;
        }).ToList();
        if (errors.Count == 0)
        {
            return;
        }

        try
        {
            using PowerShell ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddCommand("Out-Default");
            ps.Invoke(errors);
        }
        catch (Exception)
        {
            foreach (var o in errors)
            {
                _ui.WriteErrorLine(((ErrorRecord)o.BaseObject).ToString());
            }
        }
    }

    // Out-Default sends an object to the error stream when the object says it came from there
    // (PSObject.WriteStream, internal). Without it the error would be printed on stdout.
    private static readonly PropertyInfo? WriteStreamProperty =
        typeof(PSObject).GetProperty("WriteStream", BindingFlags.Instance | BindingFlags.NonPublic);

    private static void MarkAsErrorStream(PSObject o)
    {
        try
        {
            if (WriteStreamProperty != null)
            {
                WriteStreamProperty.SetValue(o, Enum.Parse(WriteStreamProperty.PropertyType, "Error"));
            }
        }
        catch (Exception e) when (e is ArgumentException or TargetInvocationException or MemberAccessException)
        {
        }
    }

    /// <summary>
    /// Ctrl+C stops the running pipeline (native commands it started are stopped with it) instead of
    /// killing the process; a second Ctrl+C while that is still under way ends the process.
    /// </summary>
    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (Interlocked.Increment(ref _cancelRequests) > 1)
        {
            e.Cancel = false;
            return;
        }

        e.Cancel = true;
        _input.Cancel();
        PowerShell? running;
        lock (_gate)
        {
            running = _running;
        }

        try
        {
            running?.BeginStop(null, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
        }
    }
}
