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
        // Each setting is taken from the command line or, as in the official cmdlet, from piped objects by property name.
        private readonly GivenParameters given = new GivenParameters();
        private int retryDelay;
        private int maxRetry;
        private int retriesTimeLimit;
        private int clientTimeout;

        /// <summary>Seconds of the first back-off wait when the service gives no Retry-After (at most 180).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, 180)]
        public int RetryDelay { get => retryDelay; set => retryDelay = given.Set(nameof(RetryDelay), value); }

        /// <summary>Retries after the first attempt (at most 10).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, 10)]
        public int MaxRetry { get => maxRetry; set => maxRetry = given.Set(nameof(MaxRetry), value); }

        /// <summary>Seconds all retries of one call may take together; 0 for no limit.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, int.MaxValue)]
        public int RetriesTimeLimit { get => retriesTimeLimit; set => retriesTimeLimit = given.Set(nameof(RetriesTimeLimit), value); }

        /// <summary>Seconds one attempt may take.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(1, int.MaxValue)]
        public int ClientTimeout { get => clientTimeout; set => clientTimeout = given.Set(nameof(ClientTimeout), value); }

        protected override void BeginProcessing() => given.CommandLineBound(MyInvocation.BoundParameters.Keys);

        protected override void ProcessRecord()
        {
            var update = new Dictionary<string, int>();
            if (given.ForThisRecord(nameof(RetryDelay)))
            {
                update["retryDelaySeconds"] = RetryDelay;
            }

            if (given.ForThisRecord(nameof(MaxRetry)))
            {
                update["maxRetry"] = MaxRetry;
            }

            if (given.ForThisRecord(nameof(RetriesTimeLimit)))
            {
                update["retriesTimeLimitSeconds"] = RetriesTimeLimit;
            }

            if (given.ForThisRecord(nameof(ClientTimeout)))
            {
                update["clientTimeoutSeconds"] = ClientTimeout;
            }

            given.RecordDone();
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

    /// <summary>
    /// Which parameters the current pipeline record gave. MyInvocation.BoundParameters cannot say: a parameter bound from
    /// an earlier piped object stays in it, while PowerShell sets the parameter back to its default before the next object
    /// is bound (calling its setter with that value), so `[pscustomobject]@{ MaxRetry = 5 }, [pscustomobject]@{ ClientTimeout = 60 }`
    /// would set MaxRetry to 0 with the second object, as the official cmdlet does. A parameter counts for a record when
    /// it was given on the command line, or set since the last record other than by that reset: set twice (reset, then
    /// bound again), or set once when the previous record had not bound it from the pipeline.
    /// </summary>
    internal sealed class GivenParameters
    {
        private readonly Dictionary<string, int> setsSinceRecord = new Dictionary<string, int>(StringComparer.Ordinal);
        private HashSet<string> commandLine = new HashSet<string>(StringComparer.Ordinal);
        private HashSet<string> pipelineLastRecord = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Counts a setter call; returns the value to store.</summary>
        internal int Set(string name, int value)
        {
            setsSinceRecord[name] = setsSinceRecord.TryGetValue(name, out int n) ? n + 1 : 1;
            return value;
        }

        /// <summary>In BeginProcessing: what is bound then came from the command line.</summary>
        internal void CommandLineBound(IEnumerable<string> names)
        {
            commandLine = new HashSet<string>(names, StringComparer.Ordinal);
            setsSinceRecord.Clear();
        }

        internal bool ForThisRecord(string name) =>
            commandLine.Contains(name)
            || (setsSinceRecord.TryGetValue(name, out int n) && (n > 1 || !pipelineLastRecord.Contains(name)));

        /// <summary>After a record: remembers what it bound from the pipeline.</summary>
        internal void RecordDone()
        {
            var bound = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in setsSinceRecord.Keys)
            {
                if (!commandLine.Contains(name) && ForThisRecord(name))
                {
                    bound.Add(name);
                }
            }

            pipelineLastRecord = bound;
            setsSinceRecord.Clear();
        }
    }
}
