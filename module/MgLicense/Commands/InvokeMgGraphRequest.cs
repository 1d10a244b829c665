// Invoke-MgGraphRequest: any Graph call on the connection, with the official module's parameters. The engine sends it (URL
// checks, token, retries, pacing, redaction); this cmdlet turns -Body into bytes and the answer into what -OutputType asks for.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Sends any Microsoft Graph request on the current connection: the REST URI, the method, an optional body.</para>
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "MgGraphRequest", DefaultParameterSetName = UserParameterSet)]
    [Alias("Invoke-GraphRequest")]
    public sealed class InvokeMgGraphRequest : MgLicenseCmdlet, IDisposable
    {
        private const string UserParameterSet = "UserParameterSet";

        private readonly CancellationTokenSource stopping = new CancellationTokenSource();
        private string? inputFile;
        private string? outputFile;

        [Parameter(ParameterSetName = UserParameterSet, Position = 1, HelpMessage = "HTTP Method")]
        public GraphRequestMethod Method { get; set; } = GraphRequestMethod.GET;

        [Parameter(ParameterSetName = UserParameterSet, Position = 2, Mandatory = true,
            HelpMessage = "Uri to call can be segments such as /beta/me or fully qualified https://graph.microsoft.com/beta/me")]
        public Uri Uri { get; set; } = null!;

        [Parameter(ParameterSetName = UserParameterSet, Position = 3, ValueFromPipeline = true,
            HelpMessage = "Request Body. Required when Method is Post or Patch")]
        public object? Body { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 4, HelpMessage = "Optional Custom Headers")]
        public IDictionary? Headers { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 5, HelpMessage = "Output file where the response body will be saved")]
        public string? OutputFilePath { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 6, HelpMessage = "Infer output filename")]
        public SwitchParameter InferOutputFileName { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 7, HelpMessage = "Input file to send in the request")]
        public string? InputFilePath { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 8,
            HelpMessage = "Indicates that the cmdlet returns the results, in addition to writing them to a file. Only valid when the OutFile parameter is also used. ")]
        public SwitchParameter PassThru { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 10, HelpMessage = "Add headers to Request Header collection without validation")]
        public SwitchParameter SkipHeaderValidation { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 11, HelpMessage = "Custom Content Type")]
        public string? ContentType { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 13,
            HelpMessage = "Specifies a web request session. Enter the variable name, including the dollar sign ($).You can't use the SessionVariable and GraphRequestSession parameters in the same command.")]
        [Alias("SV")]
        public string? SessionVariable { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 14, HelpMessage = "Response Headers Variable")]
        [Alias("RHV")]
        public string? ResponseHeadersVariable { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 15, HelpMessage = "Response Status Code Variable")]
        public string? StatusCodeVariable { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 16, HelpMessage = "Skip Checking Http Errors")]
        public SwitchParameter SkipHttpErrorCheck { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 17, HelpMessage = "Custom Graph Request Session")]
        public GraphRequestSession? GraphRequestSession { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 18, HelpMessage = "Custom User Specified User Agent")]
        public string? UserAgent { get; set; }

        [Parameter(ParameterSetName = UserParameterSet, Position = 19, HelpMessage = "Output Type to return to the caller")]
        public OutputType OutputType { get; set; } = OutputType.HashTable;

        [Parameter(DontShow = true, HelpMessage = "Wait for .NET debugger to attach")]
        public SwitchParameter Break { get; set; }

        /// <summary>The answer goes to the pipeline: no file asked for, or -PassThru.</summary>
        private bool ToPipeline => (OutputFilePath is null && !InferOutputFileName) || PassThru;

        protected override void BeginProcessing()
        {
            if (GraphRequestSession is not null && SessionVariable is not null)
            {
                Refuse("The cmdlet cannot run because the following conflicting parameters are specified: GraphRequestSession and SessionVariable. Specify either GraphRequestSession or SessionVariable, then retry.",
                    "InvokeGraphRequestSessionConflictException");
            }

            if (PassThru && OutputFilePath is null)
            {
                Refuse("The cmdlet cannot run because the following parameter is missing: OutputFilePath. Provide a valid OutputFilePath parameter value when using the PassThru parameter, then retry.",
                    "InvokeGraphRequestOutFileMissingException");
            }

            if (InferOutputFileName && OutputFilePath is not null)
            {
                Refuse("The cmdlet cannot run because the following conflicting parameters are specified: InferOutputFileName and OutputFilePath. Specify either InferOutputFileName or OutputFilePath, then retry.",
                    "InvokeGraphRequestBodyConflictException");
            }

            if (ContentType is not null && !SkipHeaderValidation && !ValidContentType(ContentType))
            {
                Refuse($"The Content-Type '{ContentType}' is not a valid media type (type/subtype, then ;parameters); use -SkipHeaderValidation to send it as given.",
                    "InvokeGraphContentTypeException");
            }

            if (InputFilePath is not null)
            {
                inputFile = FileSystemPath(InputFilePath, "-InputFilePath", mustExist: true);
                if (Directory.Exists(inputFile))
                {
                    Refuse($"The path '{InputFilePath}' is a folder; -InputFilePath takes a file.", "InvokeGraphRequestInputFileNotFilePathException");
                }
            }

            if (OutputFilePath is not null)
            {
                outputFile = FileSystemPath(OutputFilePath, "-OutputFilePath", mustExist: false);
            }

            CheckOutputVariable("StatusCodeVariable", StatusCodeVariable, 200, "a status code");
            CheckOutputVariable("ResponseHeadersVariable", ResponseHeadersVariable, SampleHeaders, "response headers");
            CheckOutputVariable("SessionVariable", SessionVariable, new GraphRequestSession(), "a session");
            if (Break.IsPresent)
            {
                GeneratedCmdlet.WaitForDebugger(() => stopping.IsCancellationRequested);
            }
        }

        protected override void ProcessRecord()
        {
            GraphRequestSession session = GraphRequestSession ?? new GraphRequestSession();
            if (UserAgent is not null)
            {
                session.UserAgent = UserAgent;
            }

            if (Headers is not null)
            {
                foreach (DictionaryEntry header in Headers)
                {
                    object? value = header.Value is PSObject pv ? pv.BaseObject : header.Value;
                    // As the official cmdlet: a header whose value is null is left out.
                    if (value is not null)
                    {
                        session.Headers[Convert.ToString(header.Key is PSObject pk ? pk.BaseObject : header.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty] =
                            (string)LanguagePrimitives.ConvertTo(value, typeof(string), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
            }

            if (SessionVariable is not null)
            {
                SetOutputVariable("SessionVariable", SessionVariable, () => session, Uri);
            }

            object? body = Body is PSObject wrapped ? wrapped.BaseObject : Body;
            if (body is not null && inputFile is not null)
            {
                Refuse("The cmdlet cannot run because the following conflicting parameters are specified: Body and InputFilePath. Specify either Body or InputFilePath, then retry.",
                    "InvokeGraphRequestBodyConflictException");
            }

            string uri = Uri.OriginalString;
            if (Method == GraphRequestMethod.GET && body is IDictionary query)
            {
                // As the official cmdlet: a dictionary given with GET is the query, not a body.
                uri = WithQuery(uri, query);
                body = null;
            }

            if ((Method == GraphRequestMethod.POST || Method == GraphRequestMethod.PATCH) && body is null && inputFile is null)
            {
                Refuse($"-Body cannot be null when -Method is {Method}: give -Body (@{{}} sends an empty JSON object) or -InputFilePath.",
                    "InvokeGraphRequestBodyMissingWhenMethodIsSpecified");
            }

            string? contentType = ContentType ?? (session.Headers.TryGetValue("Content-Type", out string? given) ? given : null);
            byte[]? bytes = null;
            if (body is not null)
            {
                try
                {
                    bytes = GraphRequestContent.ToBytes(body, Body as PSObject, GraphRequestContent.EncodingOf(contentType) ?? new UTF8Encoding(false));
                }
                catch (Exception e) when (e is ArgumentException or InvalidCastException or PSInvalidCastException or IOException)
                {
                    Refuse($"-Body could not be sent: {e.Message}", "InvokeGraphRequestInvalidBody");
                }

                contentType ??= body is byte[] or Stream ? "application/octet-stream" : "application/json";
            }
            else if (inputFile is not null || Method == GraphRequestMethod.POST)
            {
                contentType ??= "application/json";
            }

            var document = new JsonWriter();
            document.WriteStartObject();
            document.WriteString("method", Method.ToString());
            document.WriteString("uri", uri);
            document.WriteStartObject("headers");
            foreach (KeyValuePair<string, string> header in session.Headers)
            {
                if (!header.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    document.WriteString(header.Key, header.Value);
                }
            }

            if (session.UserAgent is not null && !session.Headers.ContainsKey("User-Agent"))
            {
                document.WriteString("User-Agent", session.UserAgent);
            }

            document.WriteEndObject();
            if (contentType is not null)
            {
                document.WriteString("contentType", contentType);
            }

            if (inputFile is not null)
            {
                document.WriteString("inputFile", inputFile);
            }

            // The engine streams a download to the file unless the pipeline needs the answer too.
            if (outputFile is not null && !PassThru)
            {
                document.WriteString("outputFile", outputFile);
            }

            if (PreferenceOn("Debug", "DebugPreference"))
            {
                document.WriteBoolean("debug", true);
            }

            if (PreferenceOn("Verbose", "VerbosePreference"))
            {
                document.WriteBoolean("verbose", true);
            }

            document.WriteEndObject();

            JsonElement answer;
            byte[] answerBody;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            TimeSpan shown = TimeSpan.Zero;
            bool progress = false;
            void ShowProgress(JsonElement p)
            {
                // A call that lasts a second or more (a throttle's wait, retries, a large download), at most twice a second.
                if (watch.Elapsed < TimeSpan.FromSeconds(1) || watch.Elapsed - shown < TimeSpan.FromMilliseconds(500))
                {
                    return;
                }

                shown = watch.Elapsed;
                double Number(string name) =>
                    p.ValueKind == JsonValueKind.Object && p.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;
                var record = new ProgressRecord(ProgressActivityId, "Invoke-MgGraphRequest",
                    $"Waiting for Microsoft Graph ({Method} {Uri.OriginalString}): {Number("elapsedSeconds"):0} s, {Number("retries"):0} retries");
                if (Number("throttleWaitSeconds") > 0)
                {
                    record.CurrentOperation = $"Throttled by Microsoft Graph: waiting {Number("throttleWaitSeconds"):0.0} s as it asked";
                }

                WriteProgress(record);
                progress = true;
            }

            try
            {
                answer = Engine.SendRaw(document.ToArray(), bytes, stopping.Token, out answerBody, ShowProgress);
            }
            catch (EngineException e)
            {
                EndProgress(progress);
                WriteLog(e.Detail);
                if (e.Kind == "invalidArgument")
                {
                    Refuse(e.Message, "InvokeGraphRequestInvalidArgument", e);
                }

                ThrowEngineError(e, Uri);
                return;
            }

            EndProgress(progress);
            WriteLog(answer);
            Respond(answer, answerBody);
        }

        private const int ProgressActivityId = 0x4D47;

        private void EndProgress(bool shown)
        {
            if (shown)
            {
                WriteProgress(new ProgressRecord(ProgressActivityId, "Invoke-MgGraphRequest", "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        private void Respond(JsonElement answer, byte[] body)
        {
            answer.TryGetProperty("status", out JsonElement statusElement);
            int status = statusElement.TryGetInt32(out int s) ? s : 0;
            JsonElement about = answer.TryGetProperty("body", out JsonElement a) ? a : Json.Null;
            bool inFile = about.ValueKind == JsonValueKind.Object && about.TryGetProperty("file", out JsonElement f) && f.ValueKind == JsonValueKind.True;
            string reason = Json.Text(about, "reason") ?? string.Empty;
            string url = Json.Text(answer, "url") ?? Uri.OriginalString;
            IReadOnlyList<KeyValuePair<string, string[]>> headers = Json.ReadHeaders(answer, "headers");
            string? contentType = headers.Where(h => h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                .Select(h => h.Value.FirstOrDefault()).FirstOrDefault();

            bool success = status >= 200 && status <= 299;
            if (!success && !SkipHttpErrorCheck)
            {
                HttpResponseMessage response = ToResponseMessage(status, reason, url, headers, body);
                var error = new HttpResponseException(
                    $"Response status code does not indicate success: {(HttpStatusCode)status} ({reason}).", response);
                var record = new ErrorRecord(error, "InvokeGraphHttpResponseException", ErrorCategory.InvalidOperation, response.RequestMessage);
                if (body.Length > 0)
                {
                    record.ErrorDetails = new ErrorDetails(GraphRequestContent.ToText(body, contentType));
                }

                ThrowTerminatingError(record);
            }

            if (outputFile is not null && !inFile)
            {
                // An answer the engine did not stream (-PassThru, or a refused one with -SkipHttpErrorCheck) is saved here.
                File.WriteAllBytes(outputFile, body);
            }

            if (InferOutputFileName)
            {
                SaveToInferredFile(headers, body);
            }

            if (ToPipeline)
            {
                WriteAnswer(status, reason, url, headers, contentType, body);
            }

            SetOutputVariable("StatusCodeVariable", StatusCodeVariable, () => status, Uri);
            SetOutputVariable("ResponseHeadersVariable", ResponseHeadersVariable, () => ResponseHeaders(answer), Uri);
        }

        private void WriteAnswer(int status, string reason, string url, IReadOnlyList<KeyValuePair<string, string[]>> headers, string? contentType, byte[] body)
        {
            if (OutputType == OutputType.HttpResponseMessage)
            {
                WriteObject(ToResponseMessage(status, reason, url, headers, body));
                return;
            }

            if (body.Length == 0)
            {
                return;
            }

            string text = GraphRequestContent.ToText(body, contentType);
            if (OutputType == OutputType.Json)
            {
                WriteObject(text);
                return;
            }

            JsonElement json;
            try
            {
                json = Json.Parse(text);
            }
            catch (JsonException)
            {
                // Not JSON (a CSV report, a photo, plain text): the text, as the official cmdlet writes it.
                WriteObject(text);
                return;
            }

            WriteObject(OutputType == OutputType.PSObject ? GraphRequestContent.ToPSObject(json) : GraphRequestContent.ToHashtable(json));
        }

        private HttpResponseMessage ToResponseMessage(int status, string reason, string url, IReadOnlyList<KeyValuePair<string, string[]>> headers, byte[] body)
        {
            var request = new HttpRequestMessage(new HttpMethod(Method.ToString()), url);
            var response = new HttpResponseMessage((HttpStatusCode)status)
            {
                ReasonPhrase = reason,
                RequestMessage = request,
                Content = new ByteArrayContent(body),
            };
            foreach (KeyValuePair<string, string[]> header in headers)
            {
                if (!response.Headers.TryAddWithoutValidation(header.Key, header.Value))
                {
                    response.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }

            return response;
        }

        /// <summary>-InferOutputFileName: the file Content-Disposition names, in the current folder; its name only, never a path.</summary>
        private void SaveToInferredFile(IReadOnlyList<KeyValuePair<string, string[]>> headers, byte[] body)
        {
            string? disposition = headers.Where(h => h.Key.Equals("content-disposition", StringComparison.OrdinalIgnoreCase))
                .Select(h => h.Value.FirstOrDefault()).FirstOrDefault();
            string? name = null;
            if (disposition is not null && ContentDispositionHeaderValue.TryParse(disposition, out ContentDispositionHeaderValue? parsed))
            {
                name = (parsed.FileNameStar ?? parsed.FileName)?.Trim('"');
            }

            name = name is null ? null : Path.GetFileName(name.Replace('\\', '/').Split('/').Last());
            if (string.IsNullOrWhiteSpace(name) || name!.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name == "." || name == "..")
            {
                WriteVerbose("The answer names no file (Content-Disposition), so it was not saved.");
                return;
            }

            string path = Path.Combine(SessionState.Path.CurrentFileSystemLocation.ProviderPath, name);
            WriteVerbose($"Saving the answer to '{path}', the file name its Content-Disposition gives.");
            File.WriteAllBytes(path, body);
        }

        private static string WithQuery(string uri, IDictionary query)
        {
            var pairs = new List<string>();
            foreach (DictionaryEntry entry in query)
            {
                object? value = entry.Value is PSObject pv ? pv.BaseObject : entry.Value;
                string name = Convert.ToString(entry.Key is PSObject pk ? pk.BaseObject : entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                string text = value is null ? string.Empty : (string)LanguagePrimitives.ConvertTo(value, typeof(string), System.Globalization.CultureInfo.InvariantCulture);
                // "$" stays as typed in OData options ($top, $filter); everything else is escaped.
                pairs.Add(Uri.EscapeDataString(name).Replace("%24", "$") + "=" + Uri.EscapeDataString(text));
            }

            if (pairs.Count == 0)
            {
                return uri;
            }

            int fragment = uri.IndexOf('#');
            string head = fragment >= 0 ? uri.Substring(0, fragment) : uri;
            string separator = head.IndexOf('?') < 0 ? "?" : head.EndsWith("?", StringComparison.Ordinal) || head.EndsWith("&", StringComparison.Ordinal) ? string.Empty : "&";
            return head + separator + string.Join("&", pairs);
        }

        private static bool ValidContentType(string contentType)
        {
            try
            {
                MediaTypeHeaderValue.Parse(contentType);
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        /// <summary>A PowerShell path as a path of the file system, or the error that stops the cmdlet before anything is sent.</summary>
        private string FileSystemPath(string path, string parameter, bool mustExist)
        {
            try
            {
                if (mustExist)
                {
                    Collection<string> resolved = GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider);
                    if (provider.Name != "FileSystem")
                    {
                        Refuse($"{parameter} '{path}' is not a path of the file system.", "InvokeGraphRequestFileNotFilesystemPathException");
                    }

                    if (resolved.Count != 1)
                    {
                        Refuse($"{parameter} '{path}' names {resolved.Count} files; give one.", "InvokeGraphRequestInputFileMultiplePathsResolvedException");
                    }

                    return resolved[0];
                }

                string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo target, out _);
                if (target.Name != "FileSystem")
                {
                    Refuse($"{parameter} '{path}' is not a path of the file system.", "InvokeGraphRequestFileNotFilesystemPathException");
                }

                return full;
            }
            catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException or ArgumentException)
            {
                Refuse($"{parameter} '{path}' cannot be used: {e.Message}", "InvokeGraphRequestInputFileNoPathResolvedException", e);
                return string.Empty;
            }
        }

        private void Refuse(string message, string errorId, Exception? inner = null) =>
            ThrowTerminatingError(new ErrorRecord(new ValidationMetadataException(message, inner), errorId, ErrorCategory.InvalidArgument, this));

        protected override void StopProcessing() => stopping.Cancel();

        public void Dispose() => stopping.Dispose();
    }
}
