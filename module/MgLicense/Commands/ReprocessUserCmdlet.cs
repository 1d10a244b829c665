// What the four reprocess cmdlets share: -Headers and -ResponseHeadersVariable, ShouldProcess, the request handed to the engine, -Debug/-Verbose lines, output and errors. Each cmdlet only declares its parameter sets and names its call.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Threading;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// Base of Invoke-MgLicenseUser and its beta siblings. Derived classes declare -UserId and -InputObject (their parameter
    /// set names differ between cmdlets, and attributes cannot) and hand them back through <see cref="UserIdValue"/> and
    /// <see cref="IdentityValue"/>.
    /// </summary>
    public abstract class ReprocessUserCmdlet : GeneratedCmdlet, IDisposable
    {
        /// <summary>Write-Progress activity id, the same for every reprocess cmdlet so nested runs replace one bar.</summary>
        private const int ProgressActivityId = 0x4D474C;

        private readonly CancellationTokenSource stopping = new CancellationTokenSource();

        /// <summary>What each submitted input is about, in input order, for the error record of its result.</summary>
        private readonly Queue<object> targets = new Queue<object>();

        private readonly Stopwatch watch = Stopwatch.StartNew();

        private TimeSpan lastProgress = TimeSpan.Zero;

        private bool progressShown;

        /// <summary>The engine's bulk run for this pipeline; started with the first input that is sent.</summary>
        private volatile EngineBulk? bulk;


        /// <summary>Optional Response Headers Variable.</summary>
        [Parameter]
        [Alias("RHV")]
        public string? ResponseHeadersVariable { get; set; }

        /// <summary>Optional headers that will be added to the request.</summary>
        /// <remarks>
        /// ValueFromPipeline as in the official cmdlet (its help: "Accept pipeline input: True (ByValue)";
        /// https://learn.microsoft.com/en-us/powershell/module/microsoft.graph.users.actions/invoke-mglicenseuser), so a piped
        /// dictionary of headers still works with -UserId. A piped identity hashtable is then bound to both -InputObject
        /// and -Headers; <see cref="EffectiveHeaders"/> drops it from -Headers so its keys never go out as headers.
        /// </remarks>
        [Parameter(ValueFromPipeline = true)]
        public IDictionary? Headers { get; set; }

        /// <summary>
        /// Most requests in flight at once for pipeline input (our extension; declared after the official parameters so the
        /// syntax only grows at the end). Without it the engine's default applies.
        /// </summary>
        [Parameter]
        [ValidateRange(1, 1000)]
        public int ThrottleLimit { get; set; }

        /// <summary>
        /// Most calls sent together in one JSON batch for pipeline input (our extension); 1, the default, sends each call on its
        /// own. Each call in a batch keeps its own headers, result, error and retries; -ThrottleLimit then counts batches.
        /// </summary>
        [Parameter]
        [ValidateRange(1, 20)]
        public int BatchSize { get; set; } = 1;

        /// <summary>
        /// After the call, follow the user until the service has processed its licenses (our extension): the user is written
        /// with its final LicenseAssignmentStates, and a warning names each license still in error and what fixes it.
        /// </summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        /// <summary>How long -Wait follows a user, in seconds (default 120).</summary>
        [Parameter]
        [ValidateRange(0, 86400)]
        public int TimeoutSec { get; set; } = 120;

        /// <summary>Most inputs held between submission and output while -Wait follows users: waits overlap, writes go on.</summary>
        private const int MaxOutstandingWhileWaiting = 1000;

        /// <summary>The engine's operation name (docs/abi.md, "Request").</summary>
        protected abstract string Operation { get; }

        /// <summary>The cmdlet's name as the -WhatIf line starts it: "Invoke-MgLicenseUser" in "Invoke-MgLicenseUser_License".</summary>
        protected abstract string CommandName { get; }

        /// <summary>The -UserId value when the user set is in use, else null.</summary>
        protected abstract string? UserIdValue { get; }

        /// <summary>The -InputObject value when the identity set is in use, else null.</summary>
        protected abstract IUsersActionsIdentity? IdentityValue { get; }

        /// <summary>True for a call on /me (Invoke-MgBetaLicenseUser2 -Me).</summary>
        protected virtual bool CallsMe => false;

        /// <summary>
        /// Writes a successful call's result; by default the user in the body, nothing for an answer without content. It writes no
        /// error: an answer without the user the call returns is the engine's error, reported with the call's error target
        /// before this is reached.
        /// </summary>
        protected virtual void WriteResult(JsonElement body)
        {
            WriteUser(body);
        }

        /// <summary>The user in <paramref name="body"/>, or nothing for the call documented to answer no content: the engine
        /// refuses any other answer without the object a call returns (docs/abi.md).</summary>
        private void WriteUser(JsonElement body)
        {
            if (body.ValueKind == JsonValueKind.Object)
            {
                WriteObject(User.Reader.ToPSObject(body, UserTypeNames));
            }
        }

        /// <summary>The type names of the user written, v1.0 or beta.</summary>
        protected virtual IReadOnlyList<string> UserTypeNames => GraphObject.UserTypeNames;

        /// <summary>-ResponseHeadersVariable is checked before anything is sent: a name no value can be stored in would lose results.</summary>
        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            CheckOutputVariable(nameof(ResponseHeadersVariable), ResponseHeadersVariable, SampleHeaders, "the response headers (a dictionary)", global: true);
        }

        protected override void ProcessRecord()
        {
            IUsersActionsIdentity? identity = IdentityValue;
            object target = CallsMe ? "me" : UserIdValue ?? (object?)(identity as UsersActionsIdentity)?.Source ?? identity!;

            // What is wrong with this input alone is reported for it, after the results before it, and the pipeline goes on;
            // nothing is sent for it.
            IdentityInput input = new IdentityInput(null, null);
            ErrorRecord? refused = UnencodableParameter("sent", target)
                ?? ReadIdentity(CallsMe ? null : UserIdValue, CallsMe ? null : identity, "sent", target, out input);
            if (refused is not null)
            {
                TakeEarlierResults();
                WriteError(refused);
                return;
            }

            if (ReadHeaders(EffectiveHeaders(Headers, identity), out List<KeyValuePair<string, string>>? headers) is ErrorRecord badHeaders)
            {
                // -Headers would be refused for every input alike.
                TakeEarlierResults();
                ThrowTerminatingError(badHeaders);
            }

            if (!ShouldProcess(WhatIfAction(), CommandName + "_" + ParameterSetName))
            {
                return;
            }

            // From here on an error is the call's: it names the operation's parameters, as the official cmdlet's do. The object
            // is made only for an error: every input waits in the queue until its answer, and most never need it.
            target = new CallTarget(CallsMe ? null : UserIdValue ?? IdentityUserId(input), EffectiveHeaders(Headers, identity), CallsMe);

            if (!MyInvocation.ExpectingInput && !Wait.IsPresent)
            {
                SendOne(RequestJson(input, headers, onWaitingThread: true), target);
                return;
            }

            Submit(RequestJson(input, headers), target);
        }

        /// <summary>The official -WhatIf action, naming the call's method and documented path from the engine's operations (mgl_client_new).</summary>
        private string WhatIfAction()
        {
            if (!Engine.Operations.TryGetValue(Operation, out EngineOperation? call))
            {
                throw new InvalidOperationException($"The native engine names no operation '{Operation}'; reinstall the module.");
            }

            return $"Call remote '{call.Method} {(CallsMe ? call.MePath : call.Path)}' operation";
        }

        /// <summary>Writes the results of every input before this one, so an error of this one takes its place in input order.</summary>
        private void TakeEarlierResults()
        {
            while (targets.Count > 0 && TakeResult(block: true))
            {
            }
        }

        /// <summary>
        /// A call without pipeline input (-UserId at a prompt, or once per item in a foreach loop) is the command's only call:
        /// it goes straight to the engine as one request, without a bulk run to start and tear down around it, and is sent and
        /// answered on this thread while it waits (docs/abi.md, "onWaitingThread") instead of being handed to the engine's
        /// threads and back. Its output, errors, pacing and retries are a bulk run's; a call that lasts (a throttle's wait)
        /// shows progress all the same.
        /// -Wait keeps the bulk run, whose progress also counts the user while the service processes it.
        /// </summary>
        private void SendOne(byte[] request, object target)
        {
            BulkResult result;
            try
            {
                result = new BulkResult(0, Engine.Send(request, stopping.Token, ShowCallProgress), null);
            }
            catch (EngineException e)
            {
                result = new BulkResult(0, null, e);
            }

            if (stopping.IsCancellationRequested)
            {
                return;
            }

            EndProgress();
            WriteResultOf(result, target);
        }

        /// <summary>Write-Progress for one call that lasts a second or more, at most twice a second: how long, retries, a throttle's wait.</summary>
        private void ShowCallProgress(JsonElement p)
        {
            if (!ProgressDue())
            {
                return;
            }

            string status = string.Format(
                CultureInfo.CurrentCulture, "Waiting for Microsoft Graph: {0:0} s, {1} retries",
                Number(p, "elapsedSeconds") ?? watch.Elapsed.TotalSeconds, (long)(Number(p, "retries") ?? 0));
            WriteProgressWithThrottle(status, p);
        }

        /// <summary>Progress is shown for work that has lasted a second or more, at most twice a second.</summary>
        private bool ProgressDue()
        {
            TimeSpan now = watch.Elapsed;
            if (now < TimeSpan.FromSeconds(1) || now - lastProgress < TimeSpan.FromMilliseconds(500))
            {
                return false;
            }

            lastProgress = now;
            return true;
        }

        /// <summary>A number of an engine progress document (docs/abi.md), or null when it has none.</summary>
        private static double? Number(JsonElement p, string name) =>
            p.ValueKind == JsonValueKind.Object && p.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number
                ? v.GetDouble()
                : null;

        /// <summary>Writes one progress record with <paramref name="status"/>, naming the throttling wait the engine reports, if any.</summary>
        private void WriteProgressWithThrottle(string status, JsonElement p)
        {
            var record = new ProgressRecord(ProgressActivityId, Activity, status);
            if (Number(p, "throttleWaitSeconds") is double wait && wait > 0)
            {
                record.CurrentOperation = string.Format(CultureInfo.CurrentCulture, "Throttled by Microsoft Graph: waiting {0:0.0} s as it asked", wait);
            }

            WriteProgress(record);
            progressShown = true;
        }

        protected override void EndProcessing()
        {
            EngineBulk? run = bulk;
            if (run is null)
            {
                return;
            }

            run.FinishInput();
            while (TakeResult(block: true))
            {
            }

            EndProgress();
        }

        /// <summary>Ends the progress bar, if one was shown.</summary>
        private void EndProgress()
        {
            if (progressShown)
            {
                WriteProgress(new ProgressRecord(ProgressActivityId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
                progressShown = false;
            }
        }

        /// <summary>
        /// Hands one input to the engine's bulk run, which sends up to -ThrottleLimit at once at the pace the tenant allows, and
        /// writes whatever results are ready, in input order. When too many results wait, it takes them before going on, so memory
        /// stays flat however long the pipeline.
        /// </summary>
        private void Submit(byte[] request, object target)
        {
            EngineBulk run = bulk ??= StartBulk();
            try
            {
                while (!run.TrySubmit(request, out _))
                {
                    if (!TakeResult(block: true) || stopping.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }
            catch (EngineException refused)
            {
                // This input can never be sent. Its error takes its place in the order: the results before it first, and
                // when it stops the pipeline (an identity without a user does), nothing after it has been sent.
                TakeEarlierResults();

                WriteLog(refused.Detail);
                ReportEngineError(refused, CallTarget.Of(target));
                return;
            }

            targets.Enqueue(target);
            while (TakeResult(block: false))
            {
            }

            ShowProgress(run);
        }

        private EngineBulk StartBulk()
        {
            try
            {
                return Engine.StartBulk(ThrottleLimit > 0 ? ThrottleLimit : null, Wait.IsPresent ? MaxOutstandingWhileWaiting : null, BatchSize);
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, null);
                throw;
            }
        }

        /// <summary>Writes the next result in input order; false when none is ready (without blocking) or none is left.</summary>
        private bool TakeResult(bool block)
        {
            EngineBulk? run = bulk;
            while (run is not null && !stopping.IsCancellationRequested)
            {
                BulkResult? next = run.Next(block ? EngineClient.PollMilliseconds : 0u, out bool finished);
                if (next is BulkResult result)
                {
                    WriteResultOf(result, targets.Dequeue());
                    return true;
                }

                if (finished || !block)
                {
                    return false;
                }

                ShowProgress(run);
            }

            return false;
        }

        private void WriteResultOf(BulkResult item, object target)
        {
            if (item.Error is EngineException e)
            {
                WriteLog(e.Detail);
                ReportEngineError(e, CallTarget.Of(target));
                return;
            }

            JsonElement result = item.Result ?? default;
            WriteLog(result);
            if (!string.IsNullOrEmpty(ResponseHeadersVariable))
            {
                SetOutputVariable(nameof(ResponseHeadersVariable), ResponseHeadersVariable, () => ResponseHeaders(result), CallTarget.Of(target), global: true);
            }

            JsonElement body = result.ValueKind == JsonValueKind.Object && result.TryGetProperty("body", out JsonElement b)
                ? b
                : default;
            if (result.ValueKind == JsonValueKind.Object && result.TryGetProperty("wait", out JsonElement wait))
            {
                if (wait.TryGetProperty("warnings", out JsonElement warnings) && warnings.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement warning in warnings.EnumerateArray())
                    {
                        WriteWarning(Json.String(warning) ?? string.Empty);
                    }
                }

                // With -Wait every cmdlet writes the user as processed, the cloud licensing one included.
                WriteUser(body);
                return;
            }

            WriteResult(body);
        }

        private string Activity => $"{CommandName}: reprocessing licenses";

        /// <summary>
        /// Write-Progress for runs long enough to need it (a second or more), at most twice a second: done, failed, in flight and
        /// waiting counts, the rate, and how long a throttling wait the service asked for still lasts.
        /// </summary>
        private void ShowProgress(EngineBulk run)
        {
            if (!ProgressDue() || run.Progress() is not JsonElement p)
            {
                return;
            }

            long Count(string name) => (long)(Number(p, name) ?? 0);
            long completed = Count("completed"), failed = Count("failed"), inFlight = Count("inFlight"), processing = Count("waiting");
            long waiting = Count("submitted") - completed - inFlight - processing;
            string status = string.Format(
                CultureInfo.CurrentCulture,
                "{0} done ({1} failed), {2} in flight, {3} waiting; {4:0.0} users/s, {5} retries",
                completed, failed, inFlight, waiting, Number(p, "ratePerSecond") ?? 0, Count("retries"));
            if (processing > 0)
            {
                status += string.Format(CultureInfo.CurrentCulture, "; {0} being processed by the service", processing);
            }

            WriteProgressWithThrottle(status, p);
        }

        public void Dispose()
        {
            EngineBulk? run = bulk;
            bulk = null;
            run?.Cancel();
            run?.Dispose();
            stopping.Dispose();
        }

        // Runs on another thread: the pipeline thread's wait for results returns at once, and nothing more is written.
        protected override void StopProcessing()
        {
            base.StopProcessing();
            stopping.Cancel();
            bulk?.Cancel();
        }

        private byte[] RequestJson(IdentityInput identity, List<KeyValuePair<string, string>>? headers, bool onWaitingThread = false)
        {
            var json = new JsonWriter();
            json.WriteStartObject();
            json.WriteString("operation", Operation);
            if (CallsMe)
            {
                json.WriteBoolean("me", true);
            }
            else
            {
                WriteIdentity(json, identity);
            }

            WriteHeadersAndTrace(json, headers);
            WriteCallProxy(json);
            if (onWaitingThread)
            {
                json.WriteBoolean("onWaitingThread", true);
            }

            if (Wait.IsPresent)
            {
                json.WriteStartObject("wait");
                json.WriteNumber("timeoutSeconds", TimeoutSec);
                json.WriteEndObject();
            }

            json.WriteEndObject();

            return json.ToArray();
        }

        /// <summary>
        /// A call's error target, made into the official object of the operation's parameters (OperationParameters) only when
        /// an error needs it.
        /// </summary>
        private sealed class CallTarget
        {
            private readonly object? userId;
            private readonly System.Collections.IDictionary? headers;
            private readonly bool callsMe;
            private object? made;

            internal CallTarget(object? userId, System.Collections.IDictionary? headers, bool callsMe)
            {
                this.userId = userId;
                this.headers = headers;
                this.callsMe = callsMe;
            }

            /// <summary>The object to name in an error record: a CallTarget's official object, or the target as it is.</summary>
            internal static object Of(object target) =>
                target is CallTarget call
                    ? call.made ??= call.callsMe
                        ? OperationParameters(("Headers", call.headers))
                        : OperationParameters(("UserId", call.userId), ("Headers", call.headers))
                    : target;
        }
    }
}
