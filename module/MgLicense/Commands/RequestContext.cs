// Get-MgRequestContext and Set-MgRequestContext: the retry and timeout settings every call of the session uses. They live in the engine.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Native;

namespace MgLicense.Commands
{
    internal static class RequestContextObject
    {
        internal static readonly string[] TypeNames =
        {
            "Microsoft.Graph.PowerShell.Authentication.RequestContext",
            "MgLicense.RequestContext",
        };

        /// <summary>The official shape: ClientTimeout and RetriesTimeLimit as TimeSpans, RetryDelay and MaxRetry as counts.</summary>
        internal static PSObject From(JsonElement context)
        {
            var result = new PSObject();
            result.Properties.Add(new PSNoteProperty("ClientTimeout", TimeSpan.FromSeconds(Number(context, "clientTimeoutSeconds"))));
            result.Properties.Add(new PSNoteProperty("RetryDelay", (int)Number(context, "retryDelaySeconds")));
            result.Properties.Add(new PSNoteProperty("MaxRetry", (int)Number(context, "maxRetry")));
            result.Properties.Add(new PSNoteProperty("RetriesTimeLimit", TimeSpan.FromSeconds(Number(context, "retriesTimeLimitSeconds"))));
            result.TypeNames.Clear();
            foreach (string name in TypeNames)
            {
                result.TypeNames.Add(name);
            }

            result.TypeNames.Add("System.Management.Automation.PSCustomObject");
            result.TypeNames.Add("System.Object");
            return result;
        }

        private static long Number(JsonElement context, string name) =>
            context.ValueKind == JsonValueKind.Object && context.TryGetProperty(name, out JsonElement value) && value.TryGetInt64(out long n) ? n : 0;
    }

    /// <summary>Shows the retry and timeout settings of the session.</summary>
    [Cmdlet(VerbsCommon.Get, "MgRequestContext", SupportsShouldProcess = true)]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.RequestContext")]
    public sealed class GetMgRequestContext : MgLicenseCmdlet
    {
        protected override void ProcessRecord()
        {
            if (!ShouldProcess("request context", "Get"))
            {
                return;
            }

            try
            {
                WriteObject(RequestContextObject.From(Engine.RequestContext()));
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, null);
            }
        }
    }

    /// <summary>Changes the retry and timeout settings of the session; settings not named keep their value.</summary>
    [Cmdlet(VerbsCommon.Set, "MgRequestContext", SupportsShouldProcess = true)]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.RequestContext")]
    public sealed class SetMgRequestContext : MgLicenseCmdlet
    {
        /// <summary>Seconds of the first back-off wait when the service gives no Retry-After (at most 180).</summary>
        [Parameter]
        [ValidateRange(0, 180)]
        public int RetryDelay { get; set; }

        /// <summary>Retries after the first attempt (at most 10).</summary>
        [Parameter]
        [ValidateRange(0, 10)]
        public int MaxRetry { get; set; }

        /// <summary>Seconds all retries of one call may take together; 0 for no limit.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int RetriesTimeLimit { get; set; }

        /// <summary>Seconds one attempt may take.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int ClientTimeout { get; set; }

        protected override void ProcessRecord()
        {
            var update = new Dictionary<string, int>();
            if (MyInvocation.BoundParameters.ContainsKey(nameof(RetryDelay)))
            {
                update["retryDelaySeconds"] = RetryDelay;
            }

            if (MyInvocation.BoundParameters.ContainsKey(nameof(MaxRetry)))
            {
                update["maxRetry"] = MaxRetry;
            }

            if (MyInvocation.BoundParameters.ContainsKey(nameof(RetriesTimeLimit)))
            {
                update["retriesTimeLimitSeconds"] = RetriesTimeLimit;
            }

            if (MyInvocation.BoundParameters.ContainsKey(nameof(ClientTimeout)))
            {
                update["clientTimeoutSeconds"] = ClientTimeout;
            }

            string what = update.Count == 0 ? "nothing" : string.Join(", ", update.Keys);
            if (!ShouldProcess("request context", $"Set {what}"))
            {
                return;
            }

            try
            {
                WriteObject(RequestContextObject.From(Engine.SetRequestContext(Json.ToText(update))));
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, null);
            }
        }
    }
}
