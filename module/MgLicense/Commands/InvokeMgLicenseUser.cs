// Invoke-MgLicenseUser: the drop-in for the official cmdlet; it binds, confirms and writes, and leaves every Graph rule to the engine.
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
    /// Reprocess all group-based license assignments for the user.
    /// </summary>
    /// <remarks>
    /// The official module generates one class per parameter set, so its error ids read
    /// "&lt;code&gt;,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License". This module has one class
    /// per cmdlet, so they read "&lt;code&gt;,MgLicense.Commands.InvokeMgLicenseUser": scripts that match on the
    /// code before the comma behave the same.
    /// </remarks>
    [Cmdlet(VerbsLifecycle.Invoke, "MgLicenseUser", DefaultParameterSetName = LicenseSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphUser")]
    public sealed class InvokeMgLicenseUser : MgLicenseCmdlet
    {
        private const string LicenseSet = "License";
        private const string LicenseViaIdentitySet = "LicenseViaIdentity";

        // The official WhatIf target names the operation's path template, not the user.
        private const string Target = "Call remote 'POST /users/{user-id}/reprocessLicenseAssignment' operation";

        private readonly CancellationTokenSource stopping = new CancellationTokenSource();

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = LicenseSet, Mandatory = true)]
        public string UserId { get; set; } = null!;

        /// <summary>Identity Parameter: a hashtable or object whose keys are handed to the engine as they are.</summary>
        [Parameter(ParameterSetName = LicenseViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersActionsIdentity InputObject { get; set; } = null!;

        /// <summary>Optional Response Headers Variable.</summary>
        [Parameter]
        [Alias("RHV")]
        public string? ResponseHeadersVariable { get; set; }

        /// <summary>Optional headers that will be added to the request.</summary>
        /// <remarks>
        /// The official cmdlet also takes -Headers from the pipeline by value, so a piped identity hashtable binds to
        /// both -InputObject and -Headers and its keys go out as request headers. Not copied: pipe identities only.
        /// </remarks>
        [Parameter]
        public IDictionary? Headers { get; set; }

        protected override void ProcessRecord()
        {
            object target = ParameterSetName == LicenseSet ? UserId : InputObject;
            if (!ShouldProcess(Target, "Invoke-MgLicenseUser_" + ParameterSetName))
            {
                return;
            }

            JsonElement result;
            try
            {
                result = Engine.Send(RequestJson(), stopping.Token);
            }
            catch (EngineException e)
            {
                ReportEngineError(e, target);
                return;
            }

            if (!string.IsNullOrEmpty(ResponseHeadersVariable))
            {
                SessionState.PSVariable.Set(ResponseHeadersVariable, ResponseHeaders(result));
            }

            if (result.ValueKind == JsonValueKind.Object && result.TryGetProperty("body", out JsonElement body)
                && body.ValueKind == JsonValueKind.Object)
            {
                WriteObject(GraphObject.ToPSObject(body, GraphObject.UserTypeNames));
            }
        }

        // Runs on another thread; the pipeline thread's poll loop sees the cancelled request within one poll.
        protected override void StopProcessing() => stopping.Cancel();

        private byte[] RequestJson()
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("operation", "reprocessLicenseAssignment");
                json.WriteStartObject("identity");
                if (ParameterSetName == LicenseSet)
                {
                    json.WriteString("UserId", UserId);
                }
                else
                {
                    foreach (KeyValuePair<string, object?> pair in InputObject.Values)
                    {
                        json.WritePropertyName(pair.Key);
                        WriteScalar(json, pair.Value);
                    }
                }

                json.WriteEndObject();
                if (Headers is not null && Headers.Count > 0)
                {
                    json.WriteStartObject("headers");
                    foreach (DictionaryEntry header in Headers)
                    {
                        json.WriteString(Stringify(header.Key), Stringify(header.Value));
                    }

                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            return buffer.ToArray();
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
            var headers = new Dictionary<string, IEnumerable<string>>(System.StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, string[]> header in Json.ReadHeaders(result, "headers"))
            {
                headers[header.Key] = header.Value;
            }

            return headers;
        }
    }
}
