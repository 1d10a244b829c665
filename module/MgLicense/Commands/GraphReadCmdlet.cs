// What the read cmdlets share: -Headers and -ResponseHeadersVariable, the read handed to the engine, its pages written to the pipeline as they come, -CountVariable, -Debug/-Verbose lines, errors and Ctrl+C.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Threading;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// Base of Get-MgUser, Get-MgGroup, Get-MgGroupMemberWithLicenseError and Get-MgSubscribedSku. The engine pages through
    /// @odata.nextLink one page ahead of the pipeline, so the first objects are written before the last page is fetched and
    /// memory does not grow with the result.
    /// </summary>
    public abstract class GraphReadCmdlet : GeneratedCmdlet, IDisposable
    {
        private readonly CancellationTokenSource stopping = new CancellationTokenSource();

        private volatile EngineRead? current;

        /// <summary>Optional Response Headers Variable.</summary>
        [Parameter]
        [Alias("RHV")]
        public string? ResponseHeadersVariable { get; set; }

        /// <summary>Optional headers that will be added to the request.</summary>
        [Parameter(ValueFromPipeline = true)]
        public IDictionary? Headers { get; set; }

        /// <summary>The type names of the objects written.</summary>
        protected abstract IReadOnlyList<string> TypeNames { get; }

        /// <summary>The name of the variable that receives @odata.count, when the cmdlet has -CountVariable.</summary>
        protected virtual string? CountVariableName => null;

        /// <summary>Writes the read's own fields (resource, ids, query options) into the read document (docs/abi.md, "Read").</summary>
        protected abstract void WriteReadFields(JsonWriter json);

        /// <summary>The identity object bound to -InputObject, if any, so a piped dictionary is not also sent as headers.</summary>
        protected virtual IUsersActionsIdentity? BoundIdentity => null;

        /// <summary>One object of a page as PowerShell shows it; by default the Graph model with PascalCase properties.</summary>
        protected virtual PSObject ToOutput(JsonElement item) => GraphObject.ToPSObject(item, TypeNames);

        /// <summary>Item <paramref name="index"/> of a page as PowerShell shows it; by default read into a tree for <see cref="ToOutput(JsonElement)"/>.</summary>
        private protected virtual PSObject ToOutput(JsonPage page, int index) => ToOutput(page.Tree(index));

        /// <summary>What an error record names as its target.</summary>
        protected abstract object? Target { get; }

        /// <summary>What is wrong with this input alone (its user, say), read before anything is sent; null when nothing is.</summary>
        protected virtual ErrorRecord? PrepareInput() => null;

        /// <summary>-ResponseHeadersVariable and -CountVariable are checked before anything is sent.</summary>
        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            CheckOutputVariable(nameof(ResponseHeadersVariable), ResponseHeadersVariable, SampleHeaders, "the response headers (a dictionary)", global: true);
            if (CountVariableName is string countVariable)
            {
                CheckOutputVariable("CountVariable", countVariable, 0L, "a count", global: true);
            }
        }

        protected override void ProcessRecord()
        {
            if ((UnencodableParameter("read", Target) ?? PrepareInput()) is ErrorRecord refused)
            {
                WriteError(refused);
                return;
            }

            if (ReadHeaders(EffectiveHeaders(Headers, BoundIdentity), out List<KeyValuePair<string, string>>? headers) is ErrorRecord badHeaders)
            {
                ThrowTerminatingError(badHeaders);
            }

            byte[] request = ReadJson(headers);
            EngineRead read;
            try
            {
                read = Engine.StartRead(request);
            }
            catch (EngineException e)
            {
                WriteLog(e.Detail);
                ReportEngineError(e, Target);
                return;
            }

            current = read;
            bool counted = false;
            // Every page's bytes go into one array, reused: each page's objects are all written before the next is taken.
            byte[]? buffer = null;
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    JsonPage? next;
                    bool finished;
                    try
                    {
                        next = read.Next(EngineClient.PollMilliseconds, out finished, ref buffer);
                    }
                    catch (EngineException e)
                    {
                        WriteLog(e.Detail);
                        ReportEngineError(e, Target);
                        return;
                    }

                    if (next is not null)
                    {
                        WritePage(next, ref counted);
                    }
                    else if (finished)
                    {
                        return;
                    }
                }
            }
            finally
            {
                current = null;
                read.Dispose();
                // A count from an earlier run must not survive a read that gave none.
                if (!counted && CountVariableName is string countVariable)
                {
                    SetOutputVariable("CountVariable", countVariable, () => null, Target, global: true);
                }
            }
        }

        [MethodImpl(HotPath.Optimized)]
        private void WritePage(JsonPage read, ref bool counted)
        {
            JsonElement page = read.Envelope;
            WriteLog(page);
            // Set from every page, before its objects are written: a paged read leaves the headers of the last page fetched,
            // a later page that fails leaves those of the page before it, and a first page that fails leaves the variable alone.
            SetOutputVariable(nameof(ResponseHeadersVariable), ResponseHeadersVariable, () => ResponseHeaders(page), Target, global: true);
            if (!counted && CountVariableName is string countVariable && !string.IsNullOrEmpty(countVariable)
                && page.TryGetProperty("count", out JsonElement count) && count.TryGetInt64(out long n))
            {
                SetOutputVariable("CountVariable", countVariable, () => n, Target, global: true);
                counted = true;
            }

            // The engine hands over objects only: a page with anything else is its error (docs/abi.md, "Reads"). Each is read
            // when it is written, so a page's objects are never all held as trees at once.
            for (int i = 0; i < read.Count; i++)
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                WriteObject(ToOutput(read, i));
            }
        }

        private byte[] ReadJson(List<KeyValuePair<string, string>>? headers)
        {
            var json = new JsonWriter();
            json.WriteStartObject();
            WriteReadFields(json);
            WriteHeadersAndTrace(json, headers);
            WriteCallProxy(json);
            json.WriteEndObject();

            return json.ToArray();
        }

        /// <summary>Writes `name: [..]` for the non-empty strings of an array parameter.</summary>
        protected static void WriteStrings(JsonWriter json, string name, string[]? values)
        {
            if (values is null || values.Length == 0)
            {
                return;
            }

            json.WriteStartArray(name);
            foreach (string value in values)
            {
                // -Property "id,displayName" works as in the official cmdlets, which join the values with commas anyway.
                foreach (string part in (value ?? string.Empty).Split(','))
                {
                    if (part.Trim().Length > 0)
                    {
                        json.WriteStringValue(part.Trim());
                    }
                }
            }

            json.WriteEndArray();
        }

        // Runs on another thread: the pipeline thread's wait for the next page returns at once, and nothing more is written.
        protected override void StopProcessing()
        {
            base.StopProcessing();
            stopping.Cancel();
            current?.Cancel();
        }

        public void Dispose()
        {
            current?.Cancel();
            stopping.Dispose();
        }
    }

    /// <summary>The list parameters the official list cmdlets share (parameter set List), and how they go into a read.</summary>
    public abstract class GraphListCmdlet : GraphReadCmdlet
    {
        internal const string ListSet = "List";

        /// <summary>Select properties to be returned.</summary>
        [Parameter]
        [Alias("Select")]
        public string[]? Property { get; set; }

        /// <summary>Expand related entities.</summary>
        [Parameter]
        [Alias("Expand")]
        public string[]? ExpandProperty { get; set; }

        /// <summary>Filter items by property values.</summary>
        [Parameter(ParameterSetName = ListSet)]
        public string? Filter { get; set; }

        /// <summary>Search items by search phrases.</summary>
        [Parameter(ParameterSetName = ListSet)]
        public string? Search { get; set; }

        /// <summary>Order items by property values.</summary>
        [Parameter(ParameterSetName = ListSet)]
        [Alias("OrderBy")]
        public string[]? Sort { get; set; }

        /// <summary>Show only the first n items.</summary>
        [Parameter(ParameterSetName = ListSet)]
        [Alias("Limit")]
        [ValidateRange(1, int.MaxValue)]
        public int Top { get; set; }

        /// <summary>Indicates the requested consistency level.</summary>
        [Parameter(ParameterSetName = ListSet)]
        public virtual string? ConsistencyLevel { get; set; }

        /// <summary>Sets the page size of results.</summary>
        [Parameter(ParameterSetName = ListSet)]
        [ValidateRange(1, 999)]
        public int PageSize { get; set; }

        /// <summary>List all pages.</summary>
        [Parameter(ParameterSetName = ListSet)]
        public SwitchParameter All { get; set; }

        /// <summary>Specifies a count of the total number of items in a collection.</summary>
        [Parameter(ParameterSetName = ListSet)]
        [Alias("CV")]
        public string? CountVariable { get; set; }

        protected override string? CountVariableName => CountVariable;

        /// <summary>-Skip, on the cmdlets whose official form has it (List set), when it was given.</summary>
        protected virtual int? SkipValue => null;

        /// <summary>
        /// The list operation's parameters as the official error records name them (TargetObject): the path's ids, then the
        /// query options as given (null when not), then -Headers.
        /// </summary>
        protected PSObject ListParameters(params (string Name, object? Value)[] ids)
        {
            var all = new List<(string, object?)>(ids)
            {
                ("Top", Bound(nameof(Top)) ? Top : null),
                ("Skip", SkipValue),
                ("Search", Search),
                ("Filter", Filter),
                ("Count", string.IsNullOrEmpty(CountVariable) ? null : true),
                ("Orderby", Sort),
                ("Select", Property),
                ("Expand", ExpandProperty),
                ("ConsistencyLevel", ConsistencyLevel),
                ("Headers", Headers),
            };
            return OperationParameters(all.ToArray());
        }

        protected bool Bound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

        /// <summary>The value of <paramref name="key"/> in an -InputObject, or the error for this input alone when it has none.</summary>
        protected ErrorRecord? ReadIdentityKey(IUsersActionsIdentity? identity, string key, out string? value) =>
            ReadIdentityKey(identity, key, "read", Target, out value);

        /// <summary>Writes the list options that were given.</summary>
        protected void WriteListFields(JsonWriter json)
        {
            WriteStrings(json, "select", Property);
            WriteStrings(json, "expand", ExpandProperty);
            if (ParameterSetName != ListSet)
            {
                // A cmdlet whose official form has -ConsistencyLevel in every set sends it with a single read too.
                if (!string.IsNullOrEmpty(ConsistencyLevel))
                {
                    json.WriteString("consistencyLevel", ConsistencyLevel);
                }

                return;
            }

            if (SkipValue is int skip)
            {
                json.WriteNumber("skip", skip);
            }

            if (!string.IsNullOrEmpty(Filter))
            {
                json.WriteString("filter", Filter);
            }

            if (!string.IsNullOrEmpty(Search))
            {
                json.WriteString("search", Search);
            }

            WriteStrings(json, "sort", Sort);
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Top)))
            {
                json.WriteNumber("top", Top);
            }

            if (MyInvocation.BoundParameters.ContainsKey(nameof(PageSize)))
            {
                json.WriteNumber("pageSize", PageSize);
            }

            if (All.IsPresent)
            {
                json.WriteBoolean("all", true);
            }

            if (!string.IsNullOrEmpty(CountVariable))
            {
                json.WriteBoolean("count", true);
            }

            if (!string.IsNullOrEmpty(ConsistencyLevel))
            {
                json.WriteString("consistencyLevel", ConsistencyLevel);
            }
        }
    }

    /// <summary>The list cmdlets whose official form has -Skip in its List set (Get-MgUser's has not).</summary>
    public abstract class GraphSkipListCmdlet : GraphListCmdlet
    {
        /// <summary>Skip the first n items.</summary>
        [Parameter(ParameterSetName = ListSet)]
        [ValidateRange(0, int.MaxValue)]
        public int Skip { get; set; }

        protected override int? SkipValue => Bound(nameof(Skip)) ? Skip : null;
    }
}
