// The ways a user reprocesses many users, each run in its own child process so peak memory is its own.
//   a  MgLicense from the pipeline, defaults
//   b  MgLicense once per user in a foreach loop
//   c  Graph .NET SDK, one awaited call at a time (what the official cmdlet does)
//   d  Graph .NET SDK under Parallel.ForEachAsync, default retry handler
//   e  Graph .NET SDK JSON batching (BatchRequestContentCollection, 20 per batch), failed items retried
//   f  MgLicense from the pipeline with -BatchSize 20 (the engine's JSON batching, each call retried on its own)
//   floor   a bare HttpClient POST loop, one call at a time (overhead profile)
//   psfloor the same PowerShell pipeline as (a) without MgLicense, posting with HttpClient from the script (memory floor)
//   psloop  the same foreach loop as (b) without MgLicense, posting with HttpClient from the script (overhead profile)
//   psfloor-mgl  psfloor in a process that has imported MgLicense and signed in (memory: what loading it costs)
//   engine  MgLicense's engine through its C ABI from C#, no PowerShell, one call at a time as (b) sends them (overhead profile)
//   import  Import-Module time in a fresh process
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace MgLicense.Bench
{
    internal static class Ways
    {
        public static async Task<WayResult> Run(Options o)
        {
            string way = o.Way!;
            if (way == "import")
            {
                return ImportOnly(o);
            }
            string url = o.Url ?? throw new UsageException("--url is required with --way");
            string token = File.ReadAllText(o.TokenFile ?? throw new UsageException("--token-file is required")).Trim();
            string[] ids = File.ReadAllLines(o.IdsFile ?? throw new UsageException("--ids-file is required"))
                .Where(l => l.Length > 0).ToArray();
            var setup = Stopwatch.StartNew();
            var wall = new Stopwatch();
            var tally = new Tally(ids, wall);
            var result = new WayResult { Way = way, Inputs = ids.Length };
            switch (way)
            {
                case "a":
                case "b":
                case "f":
                case "a1":
                case "f1":
                case "psfloor":
                case "psfloor-mgl":
                case "psloop":
                    RunPowerShell(o, way, url, token, ids, tally, setup, wall, result);
                    break;
                case "c":
                case "d":
                case "e":
                    await RunSdk(o, way, url, token, ids, tally, setup, wall, result);
                    break;
                case "floor":
                    await RunFloor(o, url, token, ids, tally, setup, wall, result);
                    break;
                case "engine":
                    RunEngine(o, url, token, ids, tally, setup, wall, result);
                    break;
                default:
                    throw new UsageException($"unknown way '{way}'");
            }
            result.WallSeconds = wall.Elapsed.TotalSeconds;
            result.CpuSeconds = CpuSeconds() - result.CpuSecondsAtStart;
            tally.Fill(result);
            result.PeakWorkingSetBytes = PeakWorkingSet();
            return result;
        }

        /// <summary>
        /// Results and errors per input, so lost and doubled items can be counted. It keeps a counter per input, not the
        /// results: a script piping onwards lets each result go, and so does the tally, so the process's peak memory is the
        /// way's and the script's, not the benchmark's.
        /// </summary>
        private sealed class Tally
        {
            private readonly Dictionary<string, int> index;
            private readonly int[] counts;
            private readonly ConcurrentDictionary<string, int> errors = new ConcurrentDictionary<string, int>();
            private int errorCount;
            private int unknownResults;

            private readonly Stopwatch? wall;
            private readonly int half;
            private int answered;
            private double? halfSeconds;

            /// <param name="wall">The run's clock, read when half the inputs have been answered (for the second half's rate).</param>
            public Tally(IReadOnlyList<string> ids, Stopwatch? wall = null)
            {
                index = new Dictionary<string, int>(ids.Count, StringComparer.OrdinalIgnoreCase);
                for (int i = 0; i < ids.Count; i++) index.TryAdd(ids[i], i);
                counts = new int[ids.Count];
                this.wall = wall;
                half = ids.Count / 2;
            }

            public void Result(string? id)
            {
                // Read-only after construction, so lookups from several threads (ways c, d, e) are safe.
                if (id != null && index.TryGetValue(id, out int i)) Interlocked.Increment(ref counts[i]);
                else Interlocked.Increment(ref unknownResults);
                Answered();
            }

            public void Error(string kind)
            {
                Interlocked.Increment(ref errorCount);
                errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
                Answered();
            }

            private void Answered()
            {
                if (Interlocked.Increment(ref answered) == half && wall != null) halfSeconds = wall.Elapsed.TotalSeconds;
            }

            public void Fill(WayResult r)
            {
                int succeeded = counts.Count(n => n > 0);
                r.Succeeded = succeeded;
                r.Failed = errorCount;
                r.Extra = counts.Sum(n => Math.Max(0, n - 1)) + unknownResults;
                r.Lost = Math.Max(0, index.Count - succeeded - errorCount);
                r.Errors = new Dictionary<string, int>(errors);
                if (halfSeconds is double h && half > 0) r.SecondHalfSeconds = r.WallSeconds - h;
            }
        }

        /// <summary>This process's CPU time so far, user and system, every thread: what the way costs the machine.</summary>
        private static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

        private static long PeakWorkingSet()
        {
            // VmHWM: the most resident memory this process ever had.
            try
            {
                foreach (string line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
                    }
                }
            }
            catch (IOException)
            {
            }
            using Process self = Process.GetCurrentProcess();
            self.Refresh();
            return self.PeakWorkingSet64;
        }

        private static long WorkingSet()
        {
            using Process self = Process.GetCurrentProcess();
            self.Refresh();
            return self.WorkingSet64;
        }

        // ---- PowerShell (a, b, import) ----

        private static Runspace OpenRunspace()
        {
            Environment.SetEnvironmentVariable("PSModulePath", string.Empty);
            Runspace runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            runspace.Open();
            return runspace;
        }

        private static void Invoke(Runspace runspace, string script, IDictionary<string, object?>? parameters = null)
        {
            using PowerShell ps = PowerShell.Create(runspace);
            ps.AddScript(script);
            if (parameters != null)
            {
                foreach (var p in parameters) ps.AddParameter(p.Key, p.Value);
            }
            ps.Invoke();
            if (ps.HadErrors || ps.Streams.Error.Count > 0)
            {
                throw new InvalidOperationException($"'{script}' failed: " + string.Join("; ", ps.Streams.Error.Select(e => e.ToString())));
            }
        }

        private static WayResult ImportOnly(Options o)
        {
            string module = o.Module ?? throw new UsageException("--module is required");
            using Runspace runspace = OpenRunspace();
            // The runspace has run a command before, as an interactive one has by the time you type Import-Module.
            Invoke(runspace, "$null = $PSVersionTable");
            if (o.WarmWith is string warm)
            {
                // A session that has already imported a module with format data (as one that has shown a table has loaded
                // format data): PowerShell's one-time start-up of its module and formatting machinery is behind it, so what
                // is left is the module's own cost.
                Invoke(runspace, "param($path) Import-Module -Name $path", new Dictionary<string, object?> { ["path"] = warm });
            }
            var watch = Stopwatch.StartNew();
            Invoke(runspace, "param($path) Import-Module -Name $path", new Dictionary<string, object?> { ["path"] = module });
            watch.Stop();
            return new WayResult { Way = "import", WallSeconds = watch.Elapsed.TotalSeconds, PeakWorkingSetBytes = PeakWorkingSet() };
        }

        private static void RunPowerShell(Options o, string way, string url, string token, string[] ids, Tally tally,
            Stopwatch setup, Stopwatch wall, WayResult result)
        {
            using Runspace runspace = OpenRunspace();
            if (way == "psfloor-mgl")
            {
                // What importing MgLicense and signing in adds to the same job, with no item going through MgLicense.
                ImportAndSignIn(o, runspace, url, token);
                way = "psfloor";
            }
            if (way is "psfloor" or "psloop")
            {
                // The same pipeline (psfloor) or foreach loop (psloop) without MgLicense: the script posts with HttpClient itself,
                // one call at a time, and makes an object per answer. What this process takes, and how long, is what PowerShell
                // takes to do the job at all.
                using var http = new HttpClient();
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                string floorScript = way == "psfloor"
                    ? "param($ids, $http, $base) $ids | ForEach-Object { @{ UserId = $_ } } | ForEach-Object { " +
                      "$r = $http.PostAsync($base + $_.UserId + '/reprocessLicenseAssignment', $null).GetAwaiter().GetResult(); " +
                      "try { if ($r.IsSuccessStatusCode) { [pscustomobject]@{ Id = $_.UserId } } else { throw \"status $([int]$r.StatusCode)\" } } finally { $r.Dispose() } }"
                    : "param($ids, $http, $base) foreach ($id in $ids) { " +
                      "$r = $http.PostAsync($base + $id + '/reprocessLicenseAssignment', $null).GetAwaiter().GetResult(); " +
                      "try { if ($r.IsSuccessStatusCode) { $null = $r.Content.ReadAsStringAsync().GetAwaiter().GetResult(); [pscustomobject]@{ Id = $id } } " +
                      "else { throw \"status $([int]$r.StatusCode)\" } } finally { $r.Dispose() } }";
                var floorParameters = new Dictionary<string, object?> { ["http"] = http, ["base"] = url + "/v1.0/users/" };
                if (o.Warmup > 0) RunScript(runspace, floorScript, ids.Take(o.Warmup).ToArray(), new Tally(ids), floorParameters);
                setup.Stop();
                result.SetupSeconds = setup.Elapsed.TotalSeconds;
                result.WorkingSetAfterSetupBytes = WorkingSet();
                result.CpuSecondsAtStart = CpuSeconds();
                wall.Start();
                RunScript(runspace, floorScript, ids, tally, floorParameters);
                wall.Stop();
                return;
            }
            ImportAndSignIn(o, runspace, url, token);

            string script = way switch
            {
                "a" => "param($ids) $ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser",
                "f" => "param($ids) $ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser -BatchSize 20",
                "a1" => "param($ids) $ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser -ThrottleLimit 1",
                "f1" => "param($ids) $ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser -ThrottleLimit 1 -BatchSize 20",
                _ => "param($ids) foreach ($id in $ids) { Invoke-MgLicenseUser -UserId $id }",
            };

            if (o.Warmup > 0)
            {
                RunScript(runspace, script, ids.Take(o.Warmup).ToArray(), new Tally(ids));
            }
            setup.Stop();
            result.SetupSeconds = setup.Elapsed.TotalSeconds;
            result.WorkingSetAfterSetupBytes = WorkingSet();
            result.CpuSecondsAtStart = CpuSeconds();
            wall.Start();
            RunScript(runspace, script, ids, tally);
            wall.Stop();
        }

        private static void ImportAndSignIn(Options o, Runspace runspace, string url, string token)
        {
            string module = o.Module ?? throw new UsageException("--module is required");
            var secure = new SecureString();
            foreach (char ch in token) secure.AppendChar(ch);
            secure.MakeReadOnly();
            Invoke(runspace,
                "param($path, $url, $token) " +
                "Import-Module -Name $path; " +
                "Add-MgEnvironment -Name Bench -GraphEndpoint $url -AzureADEndpoint $url | Out-Null; " +
                "Connect-MgGraph -Environment Bench -AccessToken $token -NoWelcome | Out-Null",
                new Dictionary<string, object?> { ["path"] = module, ["url"] = url, ["token"] = secure });
        }

        private static void RunScript(Runspace runspace, string script, string[] ids, Tally tally, IDictionary<string, object?>? more = null)
        {
            using PowerShell ps = PowerShell.Create(runspace);
            ps.AddScript(script).AddParameter("ids", ids);
            if (more != null)
            {
                foreach (var p in more) ps.AddParameter(p.Key, p.Value);
            }
            // Results and errors are looked at and let go as they come, as a script piping onwards would.
            var output = new PSDataCollection<PSObject>();
            output.DataAdded += (_, _) =>
            {
                foreach (PSObject item in output.ReadAll())
                {
                    tally.Result(item?.Properties["Id"]?.Value?.ToString());
                }
            };
            ps.Streams.Error.DataAdded += (_, _) =>
            {
                foreach (ErrorRecord error in ps.Streams.Error.ReadAll())
                {
                    tally.Error(error.FullyQualifiedErrorId?.Split(',')[0] ?? "error");
                }
            };
            ps.Streams.Progress.DataAdded += (_, _) => ps.Streams.Progress.ReadAll();
            ps.Streams.Warning.DataAdded += (_, _) => ps.Streams.Warning.ReadAll();
            ps.Streams.Information.DataAdded += (_, _) => ps.Streams.Information.ReadAll();
            try
            {
                ps.Invoke(null, output);
            }
            catch (RuntimeException e)
            {
                tally.Error("terminating:" + e.ErrorRecord?.FullyQualifiedErrorId);
            }
        }

        // ---- Graph .NET SDK (c, d, e) ----

        /// <summary>Adds the emulator's bearer token, as an app's own token provider would.</summary>
        internal sealed class StaticToken : IAuthenticationProvider
        {
            private readonly string token;

            public StaticToken(string token) => this.token = token;

            public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null,
                CancellationToken cancellationToken = default)
            {
                request.Headers.TryAdd("Authorization", "Bearer " + token);
                return Task.CompletedTask;
            }
        }

        private static string Describe(Exception e) => e switch
        {
            ODataError o => o.Error?.Code ?? ("status:" + o.ResponseStatusCode),
            ApiException a => "status:" + a.ResponseStatusCode,
            // Kiota's retry handler gives up with an AggregateException whose message says why ("Too many retries performed").
            AggregateException g => g.InnerExceptions.Count > 0 ? Describe(g.InnerExceptions[0]) : g.Message.Split(" (")[0],
            _ => e.GetType().Name + ": " + e.Message.Split(" (")[0],
        };

        private static async Task RunSdk(Options o, string way, string url, string token, string[] ids, Tally tally,
            Stopwatch setup, Stopwatch wall, WayResult result)
        {
            // GraphServiceClient's own HttpClient: the default handlers, Kiota's retry handler among them.
            var client = new GraphServiceClient(new StaticToken(token), url + "/v1.0");

            async Task One(string id)
            {
                try
                {
                    var user = await client.Users[id].ReprocessLicenseAssignment.PostAsync();
                    tally.Result(user?.Id ?? id);
                }
                catch (Exception e)
                {
                    tally.Error(Describe(e));
                }
            }

            if (o.Warmup > 0)
            {
                foreach (string id in ids.Take(o.Warmup)) await client.Users[id].ReprocessLicenseAssignment.PostAsync();
            }
            setup.Stop();
            result.SetupSeconds = setup.Elapsed.TotalSeconds;
            result.WorkingSetAfterSetupBytes = WorkingSet();
            result.CpuSecondsAtStart = CpuSeconds();
            wall.Start();
            switch (way)
            {
                case "c":
                    foreach (string id in ids) await One(id);
                    break;
                case "d":
                    await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = o.Dop }, async (id, _) => await One(id));
                    result.Note = $"MaxDegreeOfParallelism = {o.Dop}";
                    break;
                case "e":
                    result.Note = await Batched(client, ids, tally);
                    break;
            }
            wall.Stop();
        }

        /// <summary>
        /// JSON batching as a careful user writes it: 20 items per batch, one batch at a time; items that come back
        /// 429/503/504 go back to the front of the queue, and the next batch waits for the longest Retry-After
        /// seen (else 3 s doubled per attempt, as the SDK's retry handler would); an item is given up after 10 attempts.
        /// </summary>
        private static async Task<string> Batched(GraphServiceClient client, string[] ids, Tally tally)
        {
            const int MaxAttempts = 10;
            var queue = new LinkedList<(string Id, int Attempt)>(ids.Select(id => (id, 0)));
            int batches = 0, waits = 0;
            double waited = 0;
            while (queue.Count > 0)
            {
                var chunk = new List<(string Id, int Attempt)>();
                while (chunk.Count < 20 && queue.Count > 0)
                {
                    chunk.Add(queue.First!.Value);
                    queue.RemoveFirst();
                }
                var collection = new BatchRequestContentCollection(client);
                var steps = new Dictionary<string, (string Id, int Attempt)>();
                foreach (var item in chunk)
                {
                    RequestInformation info = client.Users[item.Id].ReprocessLicenseAssignment.ToPostRequestInformation();
                    steps[await collection.AddBatchRequestStepAsync(info)] = item;
                }
                batches++;
                Dictionary<string, HttpStatusCode> statuses;
                BatchResponseContentCollection? response = null;
                try
                {
                    response = await client.Batch.PostAsync(collection);
                    statuses = await response.GetResponsesStatusCodesAsync();
                }
                catch (Exception e)
                {
                    // The whole batch failed (the SDK already retried it): every item is retried.
                    statuses = new Dictionary<string, HttpStatusCode>();
                    tally.Error("batch:" + Describe(e));
                }
                TimeSpan wait = TimeSpan.Zero;
                var retry = new List<(string Id, int Attempt)>();
                foreach (var (step, item) in steps)
                {
                    if (!statuses.TryGetValue(step, out HttpStatusCode status))
                    {
                        retry.Add((item.Id, item.Attempt + 1));
                        continue;
                    }
                    int code = (int)status;
                    if (code >= 200 && code < 300)
                    {
                        tally.Result(item.Id);
                    }
                    else if (code == 429 || code == 503 || code == 504)
                    {
                        TimeSpan itemWait = TimeSpan.FromSeconds(3 * Math.Pow(2, item.Attempt));
                        using HttpResponseMessage? message = response == null ? null : await response.GetResponseByIdAsync(step);
                        RetryConditionHeaderValue? retryAfter = message?.Headers.RetryAfter;
                        if (retryAfter?.Delta is TimeSpan delta) itemWait = delta;
                        else if (retryAfter?.Date is DateTimeOffset date) itemWait = date - DateTimeOffset.UtcNow;
                        if (itemWait > wait) wait = itemWait;
                        retry.Add((item.Id, item.Attempt + 1));
                    }
                    else
                    {
                        tally.Error("status:" + code);
                    }
                }
                // Back to the front, in input order, unless they have had their attempts.
                for (int i = retry.Count - 1; i >= 0; i--)
                {
                    if (retry[i].Attempt >= MaxAttempts) tally.Error("gave up after " + MaxAttempts + " attempts");
                    else queue.AddFirst(retry[i]);
                }
                if (wait > TimeSpan.Zero && queue.Count > 0)
                {
                    waits++;
                    waited += wait.TotalSeconds;
                    await Task.Delay(wait);
                }
            }
            return $"{batches} batches, {waits} waits for Retry-After totalling {waited:0.#} s";
        }

        // ---- the floor ----

        private static async Task RunFloor(Options o, string url, string token, string[] ids, Tally tally,
            Stopwatch setup, Stopwatch wall, WayResult result)
        {
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

            async Task One(string id, Tally into)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{url}/v1.0/users/{Uri.EscapeDataString(id)}/reprocessLicenseAssignment");
                using HttpResponseMessage response = await http.SendAsync(request);
                string body = await response.Content.ReadAsStringAsync();
                if (response.IsSuccessStatusCode) into.Result(id);
                else into.Error("status:" + (int)response.StatusCode);
                GC.KeepAlive(body);
            }

            // The warm-up's results do not count.
            var warmup = new Tally(ids);
            foreach (string id in ids.Take(o.Warmup)) await One(id, warmup);
            setup.Stop();
            result.SetupSeconds = setup.Elapsed.TotalSeconds;
            result.WorkingSetAfterSetupBytes = WorkingSet();
            result.CpuSecondsAtStart = CpuSeconds();
            wall.Start();
            foreach (string id in ids) await One(id, tally);
            wall.Stop();
        }

        // ---- MgLicense's engine through its C ABI (engine) ----

        /// <summary>
        /// The module's native library called from C# through its C ABI (docs/abi.md), with no PowerShell: each call is one
        /// request sent and answered on this thread ("onWaitingThread"), its result document parsed, as (b) sends each of its
        /// calls. Set beside the floor and (b), it tells the engine's part of a call from PowerShell's.
        /// </summary>
        private static unsafe void RunEngine(Options o, string url, string token, string[] ids, Tally tally,
            Stopwatch setup, Stopwatch wall, WayResult result)
        {
            string module = o.Module ?? throw new UsageException("--module is required");
            string folder = Path.GetDirectoryName(Path.GetFullPath(module))!;
            string library = Directory.GetFiles(Path.Combine(folder, "runtimes"), "*mglicense_ffi*", SearchOption.AllDirectories)
                .OrderByDescending(f => f.Contains(Path.DirectorySeparatorChar + RuntimeInformation.RuntimeIdentifier + Path.DirectorySeparatorChar))
                .FirstOrDefault() ?? throw new UsageException($"no native library under {folder}/runtimes");
            IntPtr lib = NativeLibrary.Load(library);
            var stringFree = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(lib, "mgl_string_free");
            var clientNew = (delegate* unmanaged<byte*, nuint, ulong*, IntPtr*, uint>)NativeLibrary.GetExport(lib, "mgl_client_new");
            var addEnvironment = (delegate* unmanaged<ulong, byte*, nuint, IntPtr*, uint>)NativeLibrary.GetExport(lib, "mgl_client_add_environment");
            var connect = (delegate* unmanaged<ulong, byte*, nuint, IntPtr*, uint>)NativeLibrary.GetExport(lib, "mgl_client_connect");
            var start = (delegate* unmanaged<ulong, byte*, nuint, ulong*, IntPtr*, uint>)NativeLibrary.GetExport(lib, "mgl_request_start");
            var wait = (delegate* unmanaged<ulong, uint, IntPtr*, uint>)NativeLibrary.GetExport(lib, "mgl_request_wait");
            var free = (delegate* unmanaged<ulong, uint>)NativeLibrary.GetExport(lib, "mgl_request_free");
            const uint Ok = 0, Pending = 1;

            string? Take(IntPtr text)
            {
                if (text == IntPtr.Zero) return null;
                string? value = Marshal.PtrToStringUTF8(text);
                stringFree(text);
                return value;
            }

            void Call(string what, delegate* unmanaged<ulong, byte*, nuint, IntPtr*, uint> f, ulong handle, string json)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(json);
                IntPtr output;
                uint status;
                fixed (byte* p = bytes) status = f(handle, p, (nuint)bytes.Length, &output);
                string? detail = Take(output);
                if (status != Ok) throw new InvalidOperationException($"{what}: status {status}: {detail}");
            }

            ulong created;
            IntPtr detail;
            if (clientNew(null, 0, &created, &detail) != Ok) throw new InvalidOperationException("mgl_client_new: " + Take(detail));
            Take(detail);
            ulong client = created;
            Call("add_environment", addEnvironment, client, JsonSerializer.Serialize(new Dictionary<string, string>
                { ["name"] = "Bench", ["graphEndpoint"] = url, ["azureADEndpoint"] = url }));
            Call("connect", connect, client, JsonSerializer.Serialize(new Dictionary<string, string>
                { ["accessToken"] = token, ["environment"] = "Bench" }));

            void One(string id, Tally into)
            {
                byte[] request = Encoding.UTF8.GetBytes("{\"operation\":\"reprocessLicenseAssignment\",\"identity\":{\"UserId\":" +
                    JsonSerializer.Serialize(id) + "},\"onWaitingThread\":true}");
                ulong handle;
                IntPtr output;
                uint status;
                fixed (byte* p = request) status = start(client, p, (nuint)request.Length, &handle, &output);
                if (status != Ok)
                {
                    Take(output);
                    into.Error("start:" + status);
                    return;
                }
                Take(output);
                while ((status = wait(handle, 100, &output)) == Pending) Take(output);
                try
                {
                    if (status != Ok)
                    {
                        Take(output);
                        into.Error("status:" + status);
                        return;
                    }
                    // The result document, parsed from the library's bytes as the module parses it.
                    using JsonDocument doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(
                        MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)output).ToArray()));
                    stringFree(output);
                    into.Result(doc.RootElement.GetProperty("body").GetProperty("id").GetString());
                }
                finally
                {
                    free(handle);
                }
            }

            var warmup = new Tally(ids);
            foreach (string id in ids.Take(o.Warmup)) One(id, warmup);
            setup.Stop();
            result.SetupSeconds = setup.Elapsed.TotalSeconds;
            result.WorkingSetAfterSetupBytes = WorkingSet();
            result.CpuSecondsAtStart = CpuSeconds();
            wall.Start();
            foreach (string id in ids) One(id, tally);
            wall.Stop();
        }
    }
}
