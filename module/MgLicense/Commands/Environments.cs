// Get-MgEnvironment and Add-MgEnvironment: clouds live in the engine; these only list and register them.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>Lists the clouds the module can connect to, built-in and user-defined.</summary>
    [Cmdlet(VerbsCommon.Get, "MgEnvironment")]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.GraphEnvironment")]
    public sealed class GetMgEnvironment : MgLicenseCmdlet
    {
        /// <summary>The environment's name; wildcards allowed.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        protected override void ProcessRecord()
        {
            JsonElement environments;
            try
            {
                environments = Engine.Environments();
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, Name);
                return;
            }

            WildcardPattern? pattern = Name is null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
            bool found = false;
            if (environments.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement environment in environments.EnumerateArray())
                {
                    if (pattern is not null && !pattern.IsMatch(Json.Text(environment, "name") ?? string.Empty))
                    {
                        continue;
                    }

                    found = true;
                    WriteObject(GraphObject.ToPlainPSObject(environment, GraphObject.EnvironmentTypeNames));
                }
            }

            // As Get-Item does: a literal name that matches nothing is an error, a wildcard that matches nothing is not.
            if (!found && Name is not null && !WildcardPattern.ContainsWildcardCharacters(Name))
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"No environment named '{Name}' was found."),
                    "EnvironmentNotFound", ErrorCategory.ObjectNotFound, Name));
            }
        }
    }

    /// <summary>Registers a user-defined cloud for Connect-MgGraph -Environment.</summary>
    [Cmdlet(VerbsCommon.Add, "MgEnvironment")]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.GraphEnvironment")]
    public sealed class AddMgEnvironment : MgLicenseCmdlet
    {
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = null!;

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string AzureADEndpoint { get; set; } = null!;

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string GraphEndpoint { get; set; } = null!;

        protected override void ProcessRecord()
        {
            string json = Json.ToText(new Dictionary<string, object?> { ["name"] = Name, ["graphEndpoint"] = GraphEndpoint, ["azureADEndpoint"] = AzureADEndpoint });
            JsonElement environment;
            try
            {
                environment = Engine.AddEnvironment(json);
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, Name);
                return;
            }

            if (environment.ValueKind == JsonValueKind.Object)
            {
                WriteObject(GraphObject.ToPlainPSObject(environment, GraphObject.EnvironmentTypeNames));
            }
        }
    }
}
