// Shared plumbing for every MgLicense cmdlet: reaching the process-wide engine, reporting its errors, and its -Debug/-Verbose lines and response headers, the same way everywhere.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using System.Text;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    public abstract class MgLicenseCmdlet : PSCmdlet
    {
        private EngineClient? engine;

        /// <summary>The engine; a missing or mismatched native library stops the cmdlet with the reason.</summary>
        internal EngineClient Engine
        {
            get
            {
                if (engine is null)
                {
                    try
                    {
                        engine = EngineClient.Existing ?? EngineClient.GetShared(UserAgent());
                    }
                    catch (EngineUnavailableException e)
                    {
                        ThrowTerminatingError(new ErrorRecord(e, "NativeEngineUnavailable", ErrorCategory.ResourceUnavailable, null));
                    }
                    catch (EngineException e)
                    {
                        ThrowEngineError(e, null);
                    }
                }

                return engine!;
            }
        }

        /// <summary>Writes the engine error, or stops the cmdlet when the error would repeat for every input.</summary>
        internal void ReportEngineError(EngineException e, object? target)
        {
            ErrorRecord? record = EngineErrors.ToErrorRecord(e, target, out bool terminating);
            if (record is null)
            {
                return;
            }

            if (terminating)
            {
                ThrowTerminatingError(record);
            }

            WriteError(record);
        }

        /// <summary>
        /// Writes a non-terminating error as the official cmdlet's variant would: "Invoke-MgLicenseUser_License: …", and
        /// FullyQualifiedErrorId "&lt;code&gt;,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License" (OfficialVariant).
        /// Every cmdlet of the module writes its errors through here.
        /// </summary>
        internal new void WriteError(ErrorRecord errorRecord) => base.WriteError(OfficialVariant.Stamp(errorRecord, this));

        /// <summary>
        /// The TargetObject of the official cmdlets' error records: an object of the operation's parameters (AutoRest's
        /// class.ts writes "new { UserId = …, Headers = … }"), so $_.TargetObject.UserId names the user of a failed call.
        /// </summary>
        internal static PSObject OperationParameters(params (string Name, object? Value)[] parameters)
        {
            var target = new PSObject();
            foreach ((string name, object? value) in parameters)
            {
                target.Properties.Add(new PSNoteProperty(name, name == "Headers" ? HeadersShown(value) : value));
            }

            return target;
        }

        /// <summary>
        /// -Headers as an error record's target shows them: with a credential header MgLicense refuses there (Authorization,
        /// Proxy-Authorization), a copy whose value for it is "&lt;redacted&gt;", so the token given is not carried in the error;
        /// otherwise the headers as given.
        /// </summary>
        private static object? HeadersShown(object? headers)
        {
            if ((headers is PSObject wrapped ? wrapped.BaseObject : headers) is not IDictionary map)
            {
                return headers;
            }

            static bool Credential(object key) =>
                ((key is PSObject k ? k.BaseObject : key) as string)?.Trim() is string name
                && (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase));

            bool any = false;
            foreach (object key in map.Keys)
            {
                any |= Credential(key);
            }

            if (!any)
            {
                return headers;
            }

            var shown = new System.Collections.Specialized.OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in map)
            {
                shown[entry.Key] = Credential(entry.Key) ? "<redacted>" : entry.Value;
            }

            return shown;
        }

        /// <summary>
        /// The user an input names, as the official ViaIdentity variants name it (InputObject.UserId): the bare id, the UserId
        /// key, or else the first identity key the engine takes (Id, …); null when the input names none.
        /// </summary>
        internal static object? IdentityUserId(IdentityInput input)
        {
            if (input.UserId is not null || input.Keys is null || input.Keys.Count == 0)
            {
                return input.UserId;
            }

            foreach (KeyValuePair<string, object> pair in input.Keys)
            {
                if (string.Equals(pair.Key, "UserId", StringComparison.OrdinalIgnoreCase))
                {
                    return pair.Value;
                }
            }

            return input.Keys[0].Value;
        }

        /// <summary>For cmdlets that manage the connection, where any failure ends the command.</summary>
        internal void ThrowEngineError(EngineException e, object? target)
        {
            ErrorRecord? record = EngineErrors.ToErrorRecord(e, target, out _);
            if (record is not null)
            {
                ThrowTerminatingError(record);
            }
        }

        /// <summary>
        /// Whether the cmdlet's debug or verbose stream is shown: an explicit -Debug/-Verbose (including -Debug:$false) wins,
        /// otherwise the preference variable as seen from the caller's scope. The engine only builds the text when asked.
        /// </summary>
        internal bool PreferenceOn(string parameter, string variable)
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
        internal void WriteLog(JsonElement? document)
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

        /// <summary>
        /// Stops before anything is sent when <paramref name="name"/> (the value of -<paramref name="parameter"/>) is a variable
        /// no value like <paramref name="sample"/> (<paramref name="what"/>) can be stored in: one read-only or constant ($PID, $true, $Host, $Error, $?),
        /// one whose type or validation refuses it ($ErrorActionPreference, $MaximumHistoryCount), or a name that is no
        /// variable (using:x, env:X, a:b:c). Every input would meet it after its call was made, and its results would be lost.
        /// </summary>
        internal void CheckOutputVariable(string parameter, string? name, object? sample, string what, bool global = false)
        {
            if (string.IsNullOrEmpty(name) || OutputVariableProblem((global ? GlobalScoped(name) : name)!, sample, what) is not string problem)
            {
                return;
            }

            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"-{parameter} '{name}' cannot be used: {problem}. Nothing was sent."),
                "InvalidOutputVariable", ErrorCategory.InvalidArgument, name));
        }

        private static readonly string[] VariableScopes = { "global", "local", "script", "private", "variable" };

        private string? OutputVariableProblem(string name, object? sample, string what)
        {
            int colon = name.IndexOf(':');
            if (colon >= 0)
            {
                string scope = name.Substring(0, colon);
                string rest = name.Substring(colon + 1);
                if (Array.FindIndex(VariableScopes, s => s.Equals(scope, StringComparison.OrdinalIgnoreCase)) < 0)
                {
                    return $"'{scope}:' is not a variable scope (global, local, script, private)";
                }

                if (rest.Length == 0 || rest.IndexOf(':') >= 0)
                {
                    return "it names no variable";
                }
            }

            PSVariable? existing;
            try
            {
                existing = SessionState.PSVariable.Get(name);
            }
            catch (Exception e) when (e is RuntimeException or ArgumentException or NotSupportedException)
            {
                return e.Message.TrimEnd('.');
            }

            if (existing is null)
            {
                return null;
            }

            if ((existing.Options & (ScopedItemOptions.ReadOnly | ScopedItemOptions.Constant)) != 0)
            {
                return $"${existing.Name} is read-only";
            }

            // Whether the variable takes such a value is PowerShell's to say (a preference variable converts it to its type, a
            // validation attribute checks it): the value is tried, and the variable given back what it held.
            object? held = existing.Value;
            try
            {
                SessionState.PSVariable.Set(name, sample);
            }
            catch (Exception e) when (e is RuntimeException or ArgumentException or InvalidCastException or NotSupportedException)
            {
                return $"${existing.Name} cannot hold {what}";
            }

            SessionState.PSVariable.Set(name, held);
            return null;
        }

        /// <summary>
        /// Stores a value in the variable -<paramref name="parameter"/> names. Checked before the first call, it can still fail
        /// (a variable made read-only meanwhile): the error then names the variable, and the result is written all the same.
        /// </summary>
        internal void SetOutputVariable(string parameter, string? name, Func<object?> value, object? target, bool global = false)
        {
            if (string.IsNullOrEmpty(name))
            {
                return;
            }

            try
            {
                SessionState.PSVariable.Set(global ? GlobalScoped(name) : name, value());
            }
            catch (Exception e) when (e is RuntimeException or ArgumentException or InvalidCastException or NotSupportedException)
            {
                WriteError(new ErrorRecord(
                    new ArgumentException($"-{parameter} '{name}' could not be set: {e.Message}", e),
                    "OutputVariableNotSet", ErrorCategory.WriteError, target));
            }
        }

        /// <summary>
        /// Where -ResponseHeadersVariable and -CountVariable store their value (global: true), as in the official generated cmdlets: a name
        /// without a scope names a global variable (those cmdlets are exported as functions, which cannot set their caller's
        /// variables, so they set global ones), and a helper function's caller sees it; "script:n" or "local:n" is taken as given.
        /// </summary>
        internal static string? GlobalScoped(string? name) =>
            string.IsNullOrEmpty(name) || name!.IndexOf(':') >= 0 ? name : "global:" + name;

        /// <summary>Response headers as -ResponseHeadersVariable receives them, to try the variable with before anything is sent.</summary>
        internal static Dictionary<string, IEnumerable<string>> SampleHeaders =>
            new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase) { ["request-id"] = new[] { "0" } };

        /// <summary>As the official cmdlet: a case-insensitive map of every response header.</summary>
        internal static Dictionary<string, IEnumerable<string>> ResponseHeaders(JsonElement result)
        {
            var headers = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, string[]> header in Json.ReadHeaders(result, "headers"))
            {
                headers[header.Key] = header.Value;
            }

            return headers;
        }

        /// <summary>
        /// -Headers, unless the binder bound the very object that is the identity to it: that happens when an identity
        /// dictionary is piped, because both parameters take dictionaries from the pipeline. The object is then the
        /// identity only; its keys (UserId, …) are not headers. A dictionary of headers piped with -UserId, or given with
        /// -Headers, is sent.
        /// </summary>
        internal static IDictionary? EffectiveHeaders(IDictionary? headers, IUsersActionsIdentity? identity)
        {
            if (headers is null || headers.Count == 0)
            {
                return null;
            }

            if (identity is UsersActionsIdentity { Source: object source } && ReferenceEquals(source, headers))
            {
                return null;
            }

            return headers;
        }

        /// <summary>
        /// The group and member an -InputObject names (GroupId and DirectoryObjectId), or the error for this input alone: a
        /// bare string names no member of no group, so both keys are needed, as in the official identity.
        /// </summary>
        internal static ErrorRecord? ReadGroupMemberIdentity(IUsersActionsIdentity? identity, string done, object? target, out string? groupId, out string? memberId)
        {
            groupId = memberId = null;
            if (identity is UsersActionsIdentity { UserId: string })
            {
                return new ErrorRecord(
                    new ArgumentException($"InputObject must name both GroupId and DirectoryObjectId; nothing was {done} for this input."),
                    "InvalidArgument", ErrorCategory.InvalidArgument, target);
            }

            return ReadIdentityKey(identity, "GroupId", done, target, out groupId) ?? ReadIdentityKey(identity, "DirectoryObjectId", done, target, out memberId);
        }

        /// <summary>
        /// The value of <paramref name="key"/> in an -InputObject (a bare string is the id itself), or the error for this input
        /// alone when it has none: the official ViaIdentity variants stop on an identity without the id they need.
        /// </summary>
        internal static ErrorRecord? ReadIdentityKey(IUsersActionsIdentity? identity, string key, string done, object? target, out string? value)
        {
            value = null;
            if (identity is not UsersActionsIdentity found)
            {
                return null;
            }

            if (found.UserId is string bare)
            {
                value = bare;
                return null;
            }

            IReadOnlyList<KeyValuePair<string, object?>> values = found.Read(new[] { key }, out _, out Exception? reason);
            object? given = values.Count == 0 ? null : values[0].Value is PSObject wrapped ? wrapped.BaseObject : values[0].Value;
            if (given is string text)
            {
                value = text;
                return null;
            }

            return new ErrorRecord(
                new ArgumentException($"InputObject has no {key} string, so the object is unknown; nothing was {done} for this input.", reason),
                "InvalidArgument", ErrorCategory.InvalidArgument, target);
        }

        /// <summary>
        /// The user a call is about, read and checked before anything is sent: -UserId, a bare id, or the values the input object
        /// holds for the engine's identity keys (docs/abi.md, "identityKeys"); or the error for this input alone, naming what is
        /// wrong, when a key cannot be read, holds what has no JSON form for the engine (an array, a dictionary, a date, a script
        /// block, any other object), or a string no UTF-8 can carry. Numbers and booleans go as the JSON they are, for the engine
        /// to judge; no value is ever turned into text here, so no ToString of the input runs.
        /// </summary>
        internal ErrorRecord? ReadIdentity(string? userId, IUsersActionsIdentity? identity, string done, object? target, out IdentityInput input)
        {
            input = new IdentityInput(null, null);
            if (userId is not null)
            {
                input = new IdentityInput(null, new List<KeyValuePair<string, object>> { new("UserId", userId) });
                return Unencodable(userId, "-UserId", done, target);
            }

            if (identity is UsersActionsIdentity { UserId: string bare })
            {
                input = new IdentityInput(bare, null);
                return Unencodable(bare, "The user id", done, target);
            }

            if (identity is null)
            {
                return null;
            }

            var keys = new List<KeyValuePair<string, object>>();
            input = new IdentityInput(null, keys);
            if (identity is not UsersActionsIdentity found)
            {
                return null;
            }

            IReadOnlyList<KeyValuePair<string, object?>> values = found.Read(Engine.IdentityKeys, out string? unreadable, out Exception? reason);
            if (unreadable is not null)
            {
                return InvalidArgument(
                    $"The identity object's property '{unreadable}' could not be read, so the user it names is unknown; "
                    + $"nothing was {done} for it. {reason?.Message}".TrimEnd(),
                    reason, "InputObjectPropertyUnreadable", target);
            }

            foreach (KeyValuePair<string, object?> pair in values)
            {
                object? value = pair.Value is PSObject ps ? ps.BaseObject : pair.Value;
                if (value is null)
                {
                    // A null says nothing about the user: the engine reads it as absent.
                    continue;
                }

                if (JsonScalar(value) is not object scalar)
                {
                    return InvalidArgument(
                        $"InputObject.{pair.Key} must be a string, not {TypeOf(value)}; nothing was {done} for this input.",
                        null, "InvalidArgument", target);
                }

                if (scalar is string text && Unencodable(text, "InputObject." + pair.Key, done, target) is ErrorRecord bad)
                {
                    return bad;
                }

                keys.Add(new KeyValuePair<string, object>(pair.Key, scalar));
            }

            return null;
        }

        /// <summary>The identity as the engine takes it: -UserId as {"UserId": …}, a bare string as itself, an object's keys as read.</summary>
        internal static void WriteIdentity(JsonWriter json, IdentityInput input)
        {
            if (input.Keys is null)
            {
                if (input.UserId is not null)
                {
                    // A plain string from the pipeline: the engine takes a bare JSON string as the user id.
                    json.WriteString("identity", input.UserId);
                }

                return;
            }

            json.WriteStartObject("identity");
            foreach (KeyValuePair<string, object> pair in input.Keys)
            {
                json.WritePropertyName(pair.Key);
                Json.WriteScalar(json, pair.Value);
            }

            json.WriteEndObject();
        }

        /// <summary>
        /// -Headers as name and value texts, or the error naming the header whose name or value is not a string or a plain
        /// value (number, boolean, character, GUID), which PowerShell turns into text as the official cmdlet does. A dictionary,
        /// array, date or object is refused rather than sent as its type name or its ToString; null is an empty value.
        /// </summary>
        internal static ErrorRecord? ReadHeaders(IDictionary? headers, out List<KeyValuePair<string, string>>? texts)
        {
            texts = null;
            if (headers is null)
            {
                return null;
            }

            texts = new List<KeyValuePair<string, string>>(headers.Count);
            foreach (DictionaryEntry header in headers)
            {
                object? key = header.Key is PSObject pk ? pk.BaseObject : header.Key;
                if (PlainText(key) is not string name)
                {
                    return InvalidArgument($"A header name in -Headers must be a string, not {TypeOf(key)}.", null, "InvalidArgument", headers);
                }

                object? value = header.Value is PSObject pv ? pv.BaseObject : header.Value;
                if ((value is null ? string.Empty : PlainText(value)) is not string text)
                {
                    return InvalidArgument($"The value of header '{name}' must be a string, not {TypeOf(value)}.", null, "InvalidArgument", headers);
                }

                texts.Add(new KeyValuePair<string, string>(name, text));
            }

            return null;
        }

        /// <summary>-Headers, and whether the engine should describe the call for -Debug and -Verbose.</summary>
        internal void WriteHeadersAndTrace(JsonWriter json, List<KeyValuePair<string, string>>? headers)
        {
            if (headers is not null && headers.Count > 0)
            {
                json.WriteStartObject("headers");
                foreach (KeyValuePair<string, string> header in headers)
                {
                    json.WriteString(header.Key, header.Value);
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
        }

        /// <summary>
        /// The error for the first string parameter bound for this input that holds an unpaired UTF-16 surrogate, or null. Such a
        /// string has no UTF-8 form: encoding it would send U+FFFD, another id or filter than the one given.
        /// </summary>
        internal ErrorRecord? UnencodableParameter(string done, object? target)
        {
            foreach (KeyValuePair<string, object> bound in MyInvocation.BoundParameters)
            {
                object? value = bound.Value is PSObject ps ? ps.BaseObject : bound.Value;
                if (value is string text && Unencodable(text, "-" + bound.Key, done, target) is ErrorRecord bad)
                {
                    return bad;
                }

                if (value is string[] texts)
                {
                    foreach (string item in texts)
                    {
                        if (item is not null && Unencodable(item, "-" + bound.Key, done, target) is ErrorRecord badItem)
                        {
                            return badItem;
                        }
                    }
                }
            }

            return null;
        }

        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        /// <summary>The error for a text with an unpaired surrogate, naming <paramref name="what"/> and where; null for any other text.</summary>
        private static ErrorRecord? Unencodable(string text, string what, string done, object? target)
        {
            try
            {
                StrictUtf8.GetByteCount(text);
                return null;
            }
            catch (EncoderFallbackException e)
            {
                int unit = e.CharUnknown != '\0' ? e.CharUnknown : e.CharUnknownHigh != '\0' ? e.CharUnknownHigh : e.CharUnknownLow;
                return InvalidArgument(
                    string.Format(CultureInfo.InvariantCulture,
                        "{0} holds an unpaired UTF-16 surrogate (U+{1:X4} at position {2}), which no URL or JSON text can carry; nothing was {3} for this input.",
                        what, unit, e.Index, done),
                    null, "InvalidArgument", target);
            }
        }

        private static ErrorRecord InvalidArgument(string message, Exception? inner, string id, object? target) =>
            new ErrorRecord(new ArgumentException(message, inner), id, ErrorCategory.InvalidArgument, target);

        /// <summary>An identity value as the JSON scalar it is (text, number, boolean), or null when it has none.</summary>
        private static object? JsonScalar(object value) => value switch
        {
            string or bool or long or ulong or decimal => value,
            char c => c.ToString(),
            Guid g => g.ToString(),
            sbyte or byte or short or ushort or int or uint => System.Convert.ToInt64(value, CultureInfo.InvariantCulture),
            double d when !double.IsNaN(d) && !double.IsInfinity(d) => d,
            float f when !float.IsNaN(f) && !float.IsInfinity(f) => (double)f,
            _ => null,
        };

        /// <summary>A header name or value as text: strings as they are, plain values as PowerShell writes them; null for anything else.</summary>
        private static string? PlainText(object? value) => value switch
        {
            string s => s,
            char or bool or Guid or sbyte or byte or short or ushort or int or uint or long or ulong or decimal or double or float =>
                (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture),
            _ => null,
        };

        private static string TypeOf(object? value) => value switch
        {
            null => "null",
            Array => $"an array ({value.GetType()})",
            IDictionary => $"a dictionary ({value.GetType()})",
            ScriptBlock => "a script block",
            _ => $"a {value.GetType()}",
        };

        private string UserAgent()
        {
            string module = typeof(MgLicenseCmdlet).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? typeof(MgLicenseCmdlet).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            int plus = module.IndexOf('+');
            if (plus >= 0)
            {
                module = module.Substring(0, plus);
            }

            object? powershell = (SessionState.PSVariable.GetValue("PSVersionTable") as Hashtable)?["PSVersion"];
            return $"MgLicense/{module} PowerShell/{powershell ?? "unknown"}";
        }
    }

    /// <summary>
    /// What a call hands the engine about its user, read and checked: a bare user id from the pipeline, or keys and JSON scalar
    /// values (-UserId as {"UserId": …}, an object's identity keys as read); neither for a call without a user.
    /// </summary>
    internal sealed class IdentityInput
    {
        internal IdentityInput(string? userId, IReadOnlyList<KeyValuePair<string, object>>? keys)
        {
            UserId = userId;
            Keys = keys;
        }

        internal string? UserId { get; }

        internal IReadOnlyList<KeyValuePair<string, object>>? Keys { get; }
    }
}
