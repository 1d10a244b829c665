using System.Globalization;
using System.Management.Automation.Host;

namespace MgLicense.Host;

/// <summary>The PSHost: identity, culture, and the exit code that 'exit N' asks for.</summary>
internal sealed class MgLicensePSHost : PSHost
{
    private readonly HostUserInterface _ui;
    private readonly ConsoleOutput _output;
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public MgLicensePSHost(HostUserInterface ui, ConsoleOutput output)
    {
        _ui = ui;
        _output = output;
    }

    public override string Name => "MgLicenseHost";

    public override Version Version { get; } = typeof(MgLicensePSHost).Assembly.GetName().Version ?? new Version(0, 1);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override PSHostUserInterface UI => _ui;

    public override CultureInfo CurrentCulture => _culture;

    public override CultureInfo CurrentUICulture => _uiCulture;

    /// <summary>True once 'exit' ran at the top level.</summary>
    public bool ShouldExit { get; private set; }

    public int ExitCode { get; private set; }

    public override void SetShouldExit(int exitCode)
    {
        ShouldExit = true;
        ExitCode = exitCode;
    }

    // No nested prompts (the [S] Suspend answer, $Host.EnterNestedPrompt()): say so and return, and
    // the confirmation prompt that offered Suspend asks again.
    public override void EnterNestedPrompt() =>
        _ui.WriteWarningLine("mglhost has no nested prompt; Suspend is not available. Answer again.");

    public override void ExitNestedPrompt()
    {
    }

    // A native command is about to write to the console itself: take the progress line out of its way.
    public override void NotifyBeginApplication() => _output.EndProgress();

    public override void NotifyEndApplication()
    {
    }
}
