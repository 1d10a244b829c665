// Connect-MgGraph with a user-provided access token: the one way in until the engine's other credentials get their parameter sets.
using System.Management.Automation;
using System.Security;
using System.Text.Json;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>Connects the process to Microsoft Graph; like the official module, the connection is process-wide.</summary>
    [Cmdlet(VerbsCommunications.Connect, "MgGraph", DefaultParameterSetName = AccessTokenSet)]
    public sealed class ConnectMgGraph : MgLicenseCmdlet
    {
        private const string AccessTokenSet = "AccessTokenParameterSet";

        /// <summary>A bearer token for Graph; it is never refreshed, and its expiry is read from the token.</summary>
        [Parameter(ParameterSetName = AccessTokenSet, Mandatory = true)]
        public SecureString AccessToken { get; set; } = null!;

        /// <summary>The cloud to connect to (Global when omitted), as Get-MgEnvironment lists them.</summary>
        [Parameter]
        [Alias("EnvironmentName", "NationalCloud")]
        [ValidateNotNullOrEmpty]
        public string? Environment { get; set; }

        /// <summary>Suppresses the welcome message.</summary>
        [Parameter]
        public SwitchParameter NoWelcome { get; set; }

        protected override void ProcessRecord()
        {
            JsonElement context;
            try
            {
                context = Engine.Connect(AccessToken, Environment);
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, Environment);
                return;
            }

            if (!NoWelcome.IsPresent)
            {
                string authType = (Json.Text(context, "authType") ?? "userprovidedaccesstoken").ToLowerInvariant();
                string clientId = Json.Text(context, "clientId") ?? string.Empty;
                Host.UI.WriteLine(
                    "Welcome to Microsoft Graph!\n\n"
                    + $"Connected via {authType} access using {clientId}\n"
                    + "Readme: https://aka.ms/graph/sdk/powershell\n"
                    + "SDK Docs: https://aka.ms/graph/sdk/powershell/docs\n"
                    + "API Docs: https://aka.ms/graph/docs\n\n"
                    + "NOTE: You can use the -NoWelcome parameter to suppress this message.\n");
            }
        }
    }

    /// <summary>
    /// Ends the process's connection. Like the official 2.x cmdlet it writes the context it ended, and it writes a
    /// non-terminating error when there was no connection to end.
    /// </summary>
    [Cmdlet(VerbsCommunications.Disconnect, "MgGraph")]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.AuthContext")]
    public sealed class DisconnectMgGraph : MgLicenseCmdlet
    {
        protected override void ProcessRecord()
        {
            JsonElement context;
            try
            {
                context = Engine.Disconnect();
            }
            catch (EngineException e) when (e.Kind == "notConnected")
            {
                WriteNoConnection();
                return;
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, null);
                return;
            }

            if (context.ValueKind == JsonValueKind.Object)
            {
                WriteObject(GraphObject.ToPlainPSObject(context, GraphObject.ContextTypeNames));
            }
            else
            {
                WriteNoConnection();
            }
        }

        private void WriteNoConnection() =>
            WriteError(new ErrorRecord(new PSInvalidOperationException("No application to sign out from."),
                "NotConnected", ErrorCategory.InvalidOperation, null));
    }

    /// <summary>The process's connection, or nothing when not connected.</summary>
    [Cmdlet(VerbsCommon.Get, "MgContext")]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.AuthContext")]
    public sealed class GetMgContext : MgLicenseCmdlet
    {
        protected override void ProcessRecord()
        {
            JsonElement context;
            try
            {
                context = Engine.Context();
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, null);
                return;
            }

            if (context.ValueKind == JsonValueKind.Object)
            {
                WriteObject(GraphObject.ToPlainPSObject(context, GraphObject.ContextTypeNames));
            }
        }
    }
}
