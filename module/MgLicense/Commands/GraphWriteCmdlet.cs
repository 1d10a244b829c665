// What the cmdlets that fix license errors share (Update-MgUser, Set-MgUserLicense, New-MgGroupMember, Remove-MgGroupMemberByRef): -Headers and -ResponseHeadersVariable, ShouldProcess with the official -WhatIf line, one request handed to the engine per input, its -Debug/-Verbose lines, output and errors, Ctrl+C.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Threading;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// Base of the write cmdlets. Each declares its official parameter sets and writes its own fields of the request (the
    /// user or group, and the typed values the engine builds the body from); the engine checks them, builds the URL and the
    /// body, and sends the call with the reprocess cmdlets' retries, throttling and redaction (docs/abi.md, "Request").
    /// </summary>
    public abstract class GraphWriteCmdlet : GeneratedCmdlet, IDisposable
    {
        private readonly CancellationTokenSource stopping = new CancellationTokenSource();

        /// <summary>Optional Response Headers Variable.</summary>
        [Parameter]
        [Alias("RHV")]
        public string? ResponseHeadersVariable { get; set; }

        /// <summary>Optional headers that will be added to the request.</summary>
        [Parameter(ValueFromPipeline = true)]
        public IDictionary? Headers { get; set; }

        /// <summary>The engine's operation name (docs/abi.md, "Request").</summary>
        protected abstract string Operation { get; }

        /// <summary>The cmdlet's name as the -WhatIf line starts it: "Update-MgUser" in "Update-MgUser_UpdateExpanded".</summary>
        protected abstract string CommandName { get; }

        /// <summary>What an error record about this input names as its target before the call is made (the input as given).</summary>
        protected abstract object? Target { get; }

        /// <summary>
        /// What an error record of the call names as its target: the operation's parameters, as the official cmdlets name them
        /// (AutoRest's class.ts: the path and header parameters, then Headers, then body), so $_.TargetObject.UserId works.
        /// </summary>
        protected abstract PSObject CallTarget { get; }

        /// <summary>The identity object bound to -InputObject, if any, so a piped dictionary is not also sent as headers.</summary>
        protected virtual IUsersActionsIdentity? BoundIdentity => null;

        /// <summary>Headers a parameter of the cmdlet stands for (-IfMatch), added to -Headers.</summary>
        protected virtual IDictionary? ExtraHeaders => null;

        /// <summary>What is wrong with this input alone, read before anything is sent; null when nothing is.</summary>
        protected virtual ErrorRecord? PrepareInput() => null;

        /// <summary>Writes the request's own fields: the user or the group, and the values the body is built from.</summary>
        protected abstract void WriteFields(JsonWriter json);

        /// <summary>Writes the call's result: by default nothing (the call answers no content).</summary>
        protected virtual void WriteResult(JsonElement body)
        {
        }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            CheckOutputVariable(nameof(ResponseHeadersVariable), ResponseHeadersVariable, SampleHeaders, "the response headers (a dictionary)", global: true);
        }

        protected override void ProcessRecord()
        {
            if ((UnencodableParameter("sent", Target) ?? PrepareInput()) is ErrorRecord refused)
            {
                WriteError(refused);
                return;
            }

            if (ReadHeaders(EffectiveHeaders(Headers, BoundIdentity), out List<KeyValuePair<string, string>>? headers) is ErrorRecord badHeaders)
            {
                ThrowTerminatingError(badHeaders);
            }

            if (ReadHeaders(ExtraHeaders, out List<KeyValuePair<string, string>>? extra) is ErrorRecord badExtra)
            {
                ThrowTerminatingError(badExtra);
            }

            if (extra is not null)
            {
                headers ??= new List<KeyValuePair<string, string>>();
                headers.AddRange(extra);
            }

            var json = new JsonWriter();
            json.WriteStartObject();
            json.WriteString("operation", Operation);
            try
            {
                WriteFields(json);
            }
            catch (ArgumentException e)
            {
                // A value the body cannot carry (a script block, a date in a list of SKU ids...), named by the cmdlet.
                WriteError(new ErrorRecord(e, "InvalidArgument", ErrorCategory.InvalidArgument, Target));
                return;
            }

            WriteHeadersAndTrace(json, headers);
            WriteCallProxy(json);
            json.WriteBoolean("onWaitingThread", true);
            json.WriteEndObject();

            if (!ShouldProcess(WhatIfTarget(), CommandName + "_" + ParameterSetName))
            {
                return;
            }

            JsonElement result;
            try
            {
                result = Engine.Send(json.ToArray(), stopping.Token);
            }
            catch (EngineException e)
            {
                if (!stopping.IsCancellationRequested)
                {
                    WriteLog(e.Detail);
                    ReportEngineError(e, CallTarget);
                }

                return;
            }

            WriteLog(result);
            SetOutputVariable(nameof(ResponseHeadersVariable), ResponseHeadersVariable, () => ResponseHeaders(result), CallTarget, global: true);
            WriteResult(result.ValueKind == JsonValueKind.Object && result.TryGetProperty("body", out JsonElement body) ? body : default);
        }

        /// <summary>The official -WhatIf target, naming the call's method and documented path from the engine's operations (mgl_client_new).</summary>
        private string WhatIfTarget()
        {
            if (!Engine.Operations.TryGetValue(Operation, out EngineOperation? call))
            {
                throw new InvalidOperationException($"The native engine names no operation '{Operation}'; reinstall the module.");
            }

            return $"Call remote '{call.Method} {call.Path}' operation";
        }

        /// <summary>
        /// Writes a value given in a hashtable or object (-BodyParameter, -AdditionalProperties, -AddLicenses) as JSON: null, text,
        /// booleans, numbers, GUIDs and enums as text, dates as ISO 8601, dictionaries, objects' properties and lists, nested at
        /// most 32 deep. Anything else (a script block, a stream) is refused, naming where it is.
        /// </summary>
        internal static void WriteValue(JsonWriter json, object? value, string where) => Json.WriteValue(json, value, BodyRules, where);

        /// <summary>The rules of <see cref="WriteValue"/>: JSON as Graph takes it, or an error that names the value.</summary>
        private static readonly JsonValueRules BodyRules = new JsonValueRules
        {
            MaxDepth = 32,
            TooDeep = where => $"{where} is nested more than 32 levels deep.",
            UtcDates = true,
            NonFinite = NoJsonForm,
            SwitchAsBoolean = true,
            TextKeysOnly = true,
            Objects = JsonObjects.Custom,
            NoJsonForm = NoJsonForm,
            NamesPath = true,
        };

        private static string NoJsonForm(string where, object value) =>
            $"{where} is a {value.GetType()}, which has no JSON form for Microsoft Graph; give text, a number, a boolean, a hashtable or a list.";

        /// <summary>A dictionary key as a JSON property name, or the error naming where it is.</summary>
        internal static string Key(object key, string where) => Json.PropertyName(key, textOnly: true, where);

        /// <summary>The value of property <paramref name="name"/> (any case) of a hashtable or object, or null.</summary>
        internal static object? Member(object? source, string name)
        {
            source = source is PSObject ps && ps.BaseObject is not PSCustomObject ? ps.BaseObject : source;
            switch (source)
            {
                case IDictionary map:
                    foreach (DictionaryEntry entry in map)
                    {
                        object key = entry.Key is PSObject pk ? pk.BaseObject : entry.Key;
                        if (key is string text && string.Equals(text, name, StringComparison.OrdinalIgnoreCase))
                        {
                            return entry.Value is PSObject pv ? pv.BaseObject : entry.Value;
                        }
                    }

                    return null;
                case null:
                    return null;
                default:
                    object? value = PSObject.AsPSObject(source).Properties[name]?.Value;
                    return value is PSObject p ? p.BaseObject : value;
            }
        }

        // Runs on another thread: the engine's wait returns at once and nothing more is written.
        protected override void StopProcessing()
        {
            base.StopProcessing();
            stopping.Cancel();
        }

        public void Dispose()
        {
            stopping.Dispose();
        }
    }

    /// <summary>
    /// Base of the writes about one user (Update-MgUser, Set-MgUserLicense): the user comes from -UserId or -InputObject, read
    /// and checked as the reprocess cmdlets read it, and goes to the engine as the request's identity.
    /// </summary>
    public abstract class UserWriteCmdlet : GraphWriteCmdlet
    {
        private IdentityInput identity = new IdentityInput(null, null);

        /// <summary>The -UserId value when a UserId set is in use, else null.</summary>
        protected abstract string? UserIdValue { get; }

        /// <summary>The -InputObject value when an identity set is in use, else null.</summary>
        protected abstract IUsersActionsIdentity? IdentityValue { get; }

        protected override IUsersActionsIdentity? BoundIdentity => IdentityValue;

        protected override object? Target =>
            IdentityValue is null ? UserIdValue : (object?)(IdentityValue as UsersActionsIdentity)?.Source ?? IdentityValue;

        protected override ErrorRecord? PrepareInput() => ReadIdentity(UserIdValue, IdentityValue, "changed", Target, out identity);

        /// <summary>The request body as the official variant holds it: -BodyParameter, or the body parameters given.</summary>
        protected abstract object? Body { get; }

        protected override PSObject CallTarget => OperationParameters(
            ("UserId", UserIdValue ?? IdentityUserId(identity)), ("Headers", EffectiveHeaders(Headers, BoundIdentity)), ("body", Body));

        /// <summary>The body parameters of an expanded set that were given, by name, in the order given, as one object.</summary>
        protected PSObject GivenBody(Func<string, bool> isBodyParameter)
        {
            var body = new PSObject();
            foreach (KeyValuePair<string, object> bound in MyInvocation.BoundParameters)
            {
                if (isBodyParameter(bound.Key))
                {
                    body.Properties.Add(new PSNoteProperty(bound.Key, bound.Value));
                }
            }

            return body;
        }

        /// <summary>Writes the user the call is about.</summary>
        protected void WriteUserIdentity(JsonWriter json) => WriteIdentity(json, identity);
    }
}
