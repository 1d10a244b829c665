// Get-MgEnvironment, Add-MgEnvironment and Set-MgEnvironment: clouds live in the engine; these only list, register and change them.
using System;
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
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
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

            // As the official cmdlet: a name that matches nothing writes nothing, so `if (-not (Get-MgEnvironment X))` works.
            WildcardPattern? pattern = Name is null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
            if (environments.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement environment in environments.EnumerateArray())
                {
                    if (pattern is not null && !pattern.IsMatch(Json.Text(environment, "name") ?? string.Empty))
                    {
                        continue;
                    }

                    WriteObject(GraphObject.ToPlainPSObject(environment, GraphObject.EnvironmentTypeNames));
                }
            }
        }
    }

    /// <summary>
    /// Registers a user-defined cloud for Connect-MgGraph -Environment. Like the official module's settings file, it is
    /// kept for the user's next sessions too (see docs/differences.md for where).
    /// </summary>
    [Cmdlet(VerbsCommon.Add, "MgEnvironment", SupportsShouldProcess = true)]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.GraphEnvironment")]
    public sealed class AddMgEnvironment : EnvironmentCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = null!;

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("AzureADUrl")]
        [ValidateNotNullOrEmpty]
        public string AzureADEndpoint { get; set; } = null!;

        [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
        [Alias("GraphUrl")]
        [ValidateNotNullOrEmpty]
        public string GraphEndpoint { get; set; } = null!;

        protected override void ProcessRecord()
        {
            if (!ShouldProcess(Name, "Add environment"))
            {
                return;
            }

            string json = Json.ToText(new Dictionary<string, object?> { ["name"] = Name, ["graphEndpoint"] = GraphEndpoint, ["azureADEndpoint"] = AzureADEndpoint });
            WriteChanged(() => Engine.AddEnvironment(json), Name);
        }
    }

    /// <summary>
    /// Changes the endpoints given of a user-defined cloud, or adds it when both are given, as the official Set-MgEnvironment;
    /// kept for the user's next sessions like Add-MgEnvironment's.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "MgEnvironment", SupportsShouldProcess = true)]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.GraphEnvironment")]
    public sealed class SetMgEnvironment : EnvironmentCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = null!;

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("AzureADUrl")]
        [ValidateNotNullOrEmpty]
        public string? AzureADEndpoint { get; set; }

        [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
        [Alias("GraphUrl")]
        [ValidateNotNullOrEmpty]
        public string? GraphEndpoint { get; set; }

        protected override void ProcessRecord()
        {
            if (!ShouldProcess(Name, "Set environment"))
            {
                return;
            }

            var update = new Dictionary<string, object?> { ["name"] = Name, ["update"] = true };
            if (AzureADEndpoint is not null)
            {
                update["azureADEndpoint"] = AzureADEndpoint;
            }

            if (GraphEndpoint is not null)
            {
                update["graphEndpoint"] = GraphEndpoint;
            }

            WriteChanged(() => Engine.AddEnvironment(Json.ToText(update)), Name);
        }
    }

    /// <summary>Add-, Set- and Remove-MgEnvironment: one change in the engine, its errors as the official cmdlets raise them.</summary>
    public abstract class EnvironmentCmdlet : MgLicenseCmdlet
    {
        /// <summary>Makes the change and writes the environment the engine answers with.</summary>
        internal void WriteChanged(Func<JsonElement> change, string name)
        {
            JsonElement environment;
            try
            {
                environment = change();
            }
            catch (EngineException e)
            {
                EnvironmentErrors.ThrowOfficial(e);
                ThrowEngineError(e, name);
                return;
            }

            if (environment.ValueKind == JsonValueKind.Object)
            {
                WriteObject(GraphObject.ToPlainPSObject(environment, GraphObject.EnvironmentTypeNames));
            }
        }
    }
}
