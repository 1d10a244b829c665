// Shared plumbing for every MgLicense cmdlet: reaching the process-wide engine, reporting its errors, and its -Debug/-Verbose lines and response headers, the same way everywhere.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Text.Json;
using System.Reflection;
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

        /// <summary>Identity values go as found: JSON scalars stay scalars, anything else as PowerShell would print it.</summary>
        internal static void WriteScalar(Utf8JsonWriter json, object? value)
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

        internal static string Stringify(object? value) =>
            value is null ? string.Empty : (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture);

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

        /// <summary>The error for an identity object one of whose properties threw when read, or null for any other identity.</summary>
        internal static ErrorRecord? UnreadableIdentity(IUsersActionsIdentity? identity, string done, object? target)
        {
            if (identity is not UsersActionsIdentity { UnreadableProperty: string property } broken)
            {
                return null;
            }

            return new ErrorRecord(
                new ArgumentException(
                    $"The identity object's property '{property}' could not be read, so the user it names is unknown; "
                    + $"nothing was {done} for it. {broken.UnreadableReason?.Message}".TrimEnd(),
                    broken.UnreadableReason),
                "InputObjectPropertyUnreadable", ErrorCategory.InvalidArgument, target);
        }

        /// <summary>The identity as the engine takes it: -UserId as {"UserId": …}, a bare string as itself, an object's keys as found.</summary>
        internal static void WriteIdentity(Utf8JsonWriter json, string? userId, IUsersActionsIdentity? identity)
        {
            if (userId is not null)
            {
                json.WriteStartObject("identity");
                json.WriteString("UserId", userId);
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
                    // A null says nothing about the user (the engine reads it as absent); a user piped from Get-MgUser has
                    // dozens, and leaving them out spares stringifying and sending them for every item.
                    if (pair.Value is null || pair.Value is PSObject { BaseObject: null })
                    {
                        continue;
                    }

                    json.WritePropertyName(pair.Key);
                    WriteScalar(json, pair.Value);
                }

                json.WriteEndObject();
            }
        }

        /// <summary>-Headers, and whether the engine should describe the call for -Debug and -Verbose.</summary>
        internal void WriteHeadersAndTrace(Utf8JsonWriter json, IDictionary? headers)
        {
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
        }

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
}
