// What the four reprocess cmdlets share: -Headers and -ResponseHeadersVariable, ShouldProcess, the request handed to the engine, -Debug/-Verbose lines, output and errors. Each cmdlet only declares its parameter sets and names its call.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Text.Json;
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
    public abstract class ReprocessUserCmdlet : MgLicenseCmdlet
    {
        private readonly CancellationTokenSource stopping = new CancellationTokenSource();

        /// <summary>Optional Response Headers Variable.</summary>
        [Parameter]
        [Alias("RHV")]
        public string? ResponseHeadersVariable { get; set; }

        /// <summary>Optional headers that will be added to the request.</summary>
        /// <remarks>
        /// ValueFromPipeline as in the official cmdlet (seed 000: "Accept pipeline input: True (ByValue)"), so a piped
        /// dictionary of headers still works with -UserId. A piped identity hashtable is then bound to both -InputObject
        /// and -Headers; <see cref="EffectiveHeaders"/> drops it from -Headers so its keys never go out as headers.
        /// </remarks>
        [Parameter(ValueFromPipeline = true)]
        public IDictionary? Headers { get; set; }

        /// <summary>The engine's operation name (docs/abi.md, "Request").</summary>
        protected abstract string Operation { get; }

        /// <summary>The cmdlet's name as the -WhatIf line starts it: "Invoke-MgLicenseUser" in "Invoke-MgLicenseUser_License".</summary>
        protected abstract string CommandName { get; }

        /// <summary>The path template the official -WhatIf line names, e.g. /users/{user-id}/reprocessLicenseAssignment.</summary>
        protected abstract string PathTemplate { get; }

        /// <summary>The -UserId value when the user set is in use, else null.</summary>
        protected abstract string? UserIdValue { get; }

        /// <summary>The -InputObject value when the identity set is in use, else null.</summary>
        protected abstract IUsersActionsIdentity? IdentityValue { get; }

        /// <summary>True for a call on /me (Invoke-MgBetaLicenseUser2 -Me).</summary>
        protected virtual bool CallsMe => false;

        /// <summary>Writes the call's result; by default the user in the body, and nothing for an empty answer.</summary>
        protected virtual void WriteResult(JsonElement body)
        {
            if (body.ValueKind == JsonValueKind.Object)
            {
                WriteObject(GraphObject.ToPSObject(body, UserTypeNames));
            }
        }

        /// <summary>The type names of the user written, v1.0 or beta.</summary>
        protected virtual IReadOnlyList<string> UserTypeNames => GraphObject.UserTypeNames;

        protected override void ProcessRecord()
        {
            IUsersActionsIdentity? identity = IdentityValue;
            object target = CallsMe ? "me" : UserIdValue ?? (object?)(identity as UsersActionsIdentity)?.Source ?? identity!;

            if (identity is UsersActionsIdentity { UnreadableProperty: string property } broken)
            {
                // Reading the object failed, so which user it names is unknown: report it for this input and send nothing.
                WriteError(new ErrorRecord(
                    new ArgumentException(
                        $"The identity object's property '{property}' could not be read, so the user it names is unknown; "
                        + $"nothing was sent for it. {broken.UnreadableReason?.Message}".TrimEnd(),
                        broken.UnreadableReason),
                    "InputObjectPropertyUnreadable", ErrorCategory.InvalidArgument, target));
                return;
            }

            if (!ShouldProcess($"Call remote 'POST {PathTemplate}' operation", CommandName + "_" + ParameterSetName))
            {
                return;
            }

            JsonElement result;
            try
            {
                result = Engine.Send(RequestJson(identity), stopping.Token);
            }
            catch (EngineException e)
            {
                WriteLog(e.Detail);
                ReportEngineError(e, target);
                return;
            }

            WriteLog(result);
            if (!string.IsNullOrEmpty(ResponseHeadersVariable))
            {
                SessionState.PSVariable.Set(ResponseHeadersVariable, ResponseHeaders(result));
            }

            JsonElement body = result.ValueKind == JsonValueKind.Object && result.TryGetProperty("body", out JsonElement b)
                ? b
                : default;
            WriteResult(body);
        }

        // Runs on another thread; the pipeline thread's poll loop sees the cancelled request within one poll.
        protected override void StopProcessing() => stopping.Cancel();

        /// <summary>
        /// -Headers, unless the binder bound the very object that is the identity to it: that happens when an identity
        /// dictionary is piped, because both parameters take dictionaries from the pipeline. The object is then the
        /// identity only; its keys (UserId, …) are not headers. A dictionary of headers piped with -UserId, or given with
        /// -Headers, is sent.
        /// </summary>
        private IDictionary? EffectiveHeaders(IUsersActionsIdentity? identity)
        {
            if (Headers is null || Headers.Count == 0)
            {
                return null;
            }

            if (identity is UsersActionsIdentity { Source: object source } && ReferenceEquals(source, Headers))
            {
                return null;
            }

            return Headers;
        }

        private byte[] RequestJson(IUsersActionsIdentity? identity)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("operation", Operation);
                if (CallsMe)
                {
                    json.WriteBoolean("me", true);
                }
                else if (UserIdValue is not null)
                {
                    json.WriteStartObject("identity");
                    json.WriteString("UserId", UserIdValue);
                    json.WriteEndObject();
                }
                else if (identity is UsersActionsIdentity { UserId: string bare })
                {
                    // A plain string from the pipeline: the engine takes a bare JSON string as the user id.
                    json.WriteString("identity", bare);
                }
                else if (identity is not null)
                {
                    json.WriteStartObject("identity");
                    foreach (KeyValuePair<string, object?> pair in identity.Values)
                    {
                        json.WritePropertyName(pair.Key);
                        WriteScalar(json, pair.Value);
                    }

                    json.WriteEndObject();
                }

                IDictionary? headers = EffectiveHeaders(identity);
                if (headers is not null)
                {
                    json.WriteStartObject("headers");
                    foreach (DictionaryEntry header in headers)
                    {
                        json.WriteString(Stringify(header.Key), Stringify(header.Value));
                    }

                    json.WriteEndObject();
                }

                if (PreferenceOn("Debug", "DebugPreference"))
                {
                    json.WriteBoolean("debug", true);
                }

                if (PreferenceOn("Verbose", "VerbosePreference"))
                {
                    json.WriteBoolean("verbose", true);
                }

                json.WriteEndObject();
            }

            return buffer.ToArray();
        }

        /// <summary>
        /// Whether the cmdlet's debug or verbose stream is shown: an explicit -Debug/-Verbose (including -Debug:$false) wins,
        /// otherwise the preference variable as seen from the caller's scope. The engine only builds the text when asked.
        /// </summary>
        private bool PreferenceOn(string parameter, string variable)
        {
            if (MyInvocation.BoundParameters.TryGetValue(parameter, out object? bound))
            {
                return bound is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(bound);
            }

            object? value = GetVariableValue(variable);
            if (value is PSObject ps)
            {
                value = ps.BaseObject;
            }

            if (value is null || !LanguagePrimitives.TryConvertTo(value, CultureInfo.InvariantCulture, out ActionPreference preference))
            {
                return false;
            }

            return preference != ActionPreference.SilentlyContinue && preference != ActionPreference.Ignore;
        }

        /// <summary>The engine's description of the call (only there when asked for), on the debug and verbose streams.</summary>
        private void WriteLog(JsonElement? document)
        {
            foreach (KeyValuePair<string, string> line in Json.ReadLog(document))
            {
                if (line.Key == "debug")
                {
                    WriteDebug(line.Value);
                }
                else
                {
                    WriteVerbose(line.Value);
                }
            }
        }

        /// <summary>Identity values go as found: JSON scalars stay scalars, anything else as PowerShell would print it.</summary>
        private static void WriteScalar(Utf8JsonWriter json, object? value)
        {
            object? inner = value is PSObject ps ? ps.BaseObject : value;
            switch (inner)
            {
                case null:
                    json.WriteNullValue();
                    break;
                case string s:
                    json.WriteStringValue(s);
                    break;
                case bool b:
                    json.WriteBooleanValue(b);
                    break;
                case int or long or short or sbyte or byte or ushort or uint:
                    json.WriteNumberValue(System.Convert.ToInt64(inner, CultureInfo.InvariantCulture));
                    break;
                case ulong u:
                    json.WriteNumberValue(u);
                    break;
                case decimal m:
                    json.WriteNumberValue(m);
                    break;
                case double or float when double.IsFinite(System.Convert.ToDouble(inner, CultureInfo.InvariantCulture)):
                    json.WriteNumberValue(System.Convert.ToDouble(inner, CultureInfo.InvariantCulture));
                    break;
                default:
                    json.WriteStringValue(Stringify(value));
                    break;
            }
        }

        private static string Stringify(object? value) =>
            value is null ? string.Empty : (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture);

        /// <summary>As the official cmdlet: a case-insensitive map of every response header.</summary>
        private static Dictionary<string, IEnumerable<string>> ResponseHeaders(JsonElement result)
        {
            var headers = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, string[]> header in Json.ReadHeaders(result, "headers"))
            {
                headers[header.Key] = header.Value;
            }

            return headers;
        }
    }
}
