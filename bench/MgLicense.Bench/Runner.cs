// The parent: describes the machine, runs every way in a child process against its own fresh emulator, reads
// what the emulator saw (statuses, attempts per user, reprocess counts) and writes the report.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace MgLicense.Bench
{
    /// <summary>One way's row: what the child saw plus what the emulator saw.</summary>
    public sealed class Row
    {
        public string Way { get; set; } = "";
        public string Label { get; set; } = "";
        public WayResult? Child { get; set; }
        public string? Failure { get; set; }
        public int Requests { get; set; }
        public int Throttled { get; set; }
        /// <summary>429s by x-ms-throttle-information (WriteLimitExceeded, RetryAfterNotHonored...).</summary>
        public SortedDictionary<string, int> ThrottledBy { get; } = new SortedDictionary<string, int>();
        public int OtherErrors { get; set; }
        public int Retries { get; set; }
        public int NeverReprocessed { get; set; }
        public int ReprocessedTwiceOrMore { get; set; }
        public string LoadBefore { get; set; } = "";
        /// <summary>Overhead profile: time per call in each round that finished.</summary>
        public List<double> RoundMicroseconds { get; set; } = new List<double>();
        public int RoundsFailed { get; set; }
        public string LoadAfter { get; set; } = "";
        public double UsersPerSecond => Child == null || Child.WallSeconds <= 0 ? 0 : Child.Succeeded / Child.WallSeconds;
        public double CpuMicrosecondsPerCall => Child == null || Child.Inputs == 0 ? 0 : Child.CpuSeconds * 1e6 / Child.Inputs;
        public double MicrosecondsPerCall => Child == null || Child.Inputs == 0 ? 0 : Child.WallSeconds * 1e6 / Child.Inputs;

        /// <summary>Time per call over the second half of the inputs, once the runtime's tiered JIT has compiled the hot paths.</summary>
        public double? SecondHalfMicrosecondsPerCall => Child?.SecondHalfSeconds is double s && Child.Inputs - Child.Inputs / 2 > 0
            ? s * 1e6 / (Child.Inputs - Child.Inputs / 2)
            : null;
    }

    public sealed class Run
    {
        public Options Options { get; set; } = null!;
        public string Root { get; set; } = "";
        public Machine Machine { get; set; } = null!;
        public string Commit { get; set; } = "";
        public string Dirty { get; set; } = "";
        public string EmulatorPath { get; set; } = "";
        public string ModulePath { get; set; } = "";
        public string ModuleBuilt { get; set; } = "";
        public string ModuleSnapshot { get; set; } = "";
        public string EmulatorSnapshot { get; set; } = "";
        public double BudgetCapacity { get; set; }
        public double BudgetWindowSeconds { get; set; }
        public double BudgetRate => BudgetCapacity / BudgetWindowSeconds;
        public int OverheadUsers { get; set; }
        public List<Row> Throttled { get; } = new List<Row>();
        public List<Row> Overhead { get; } = new List<Row>();

        /// <summary>Profile "busy": some overhead ways again while every CPU has a lowest-priority spinning thread.</summary>
        public List<Row> Busy { get; } = new List<Row>();

        /// <summary>Why the busy profile could not keep the CPUs busy, if it could not.</summary>
        public string? BusyFailure { get; set; }

        /// <summary>Profile "latency-bound": latency, no throttling, one request in flight, with and without batching.</summary>
        public List<Row> LatencyBound { get; } = new List<Row>();
        public Row? Memory { get; set; }

        /// <summary>The same run at a tenth of the items: flat memory means the two peaks are close.</summary>
        public Row? MemoryTenth { get; set; }

        /// <summary>The same items through the same pipeline without MgLicense: what PowerShell itself takes.</summary>
        public Row? MemoryFloor { get; set; }

        /// <summary>The floor's run in a process that has imported MgLicense and signed in: what loading it costs, apart from the items.</summary>
        public Row? MemoryFloorSignedIn { get; set; }
        public List<double> ImportMilliseconds { get; } = new List<double>();
        public List<long> ImportPeakBytes { get; } = new List<long>();
        public List<double> EmptyImportMilliseconds { get; } = new List<double>();

        /// <summary>Import-Module in a fresh process that has already imported another module and formatted output.</summary>
        public List<double> WarmImportMilliseconds { get; } = new List<double>();
        public string? ImportFailure { get; set; }
        public DateTime Started { get; set; }
        public TimeSpan Elapsed { get; set; }
    }

    internal static class Runner
    {
        public static readonly Dictionary<string, string> Labels = new Dictionary<string, string>
        {
            ["a"] = "(a) MgLicense, pipeline, defaults",
            ["b"] = "(b) MgLicense, foreach loop",
            ["f"] = "(f) MgLicense, pipeline, -BatchSize 20",
            ["a1"] = "MgLicense, pipeline, -ThrottleLimit 1",
            ["f1"] = "MgLicense, pipeline, -ThrottleLimit 1 -BatchSize 20",
            ["c"] = "(c) Graph .NET SDK, one call at a time",
            ["d"] = "(d) Graph .NET SDK, Parallel.ForEachAsync",
            ["e"] = "(e) Graph .NET SDK, $batch of 20",
            ["floor"] = "bare HttpClient POST loop (floor)",
            ["psfloor"] = "PowerShell pipeline, HttpClient from script",
            ["psloop"] = "PowerShell foreach loop, HttpClient from script",
            ["psfloor-mgl"] = "PowerShell pipeline, HttpClient from script, MgLicense imported and signed in",
            ["engine"] = "MgLicense's engine through its C ABI, from C#",
        };

        public static async Task<int> Run(Options o)
        {
            string root = FindRepoRoot();
            var run = new Run
            {
                Options = o,
                Root = root,
                Started = DateTime.UtcNow,
                EmulatorPath = Path.GetFullPath(o.Emulator ?? Path.Combine(root, "target", "release", "graph-emulator")),
                ModulePath = Path.GetFullPath(o.Module ?? Path.Combine(root, "out", "MgLicense", "MgLicense.psd1")),
                BudgetCapacity = 3000 * o.ThrottleScale,
                BudgetWindowSeconds = 150 * o.ThrottleScale,
                OverheadUsers = o.OverheadUsers ?? Math.Max(o.Users, 10_000),
            };
            if (!File.Exists(run.EmulatorPath)) throw new UsageException($"{run.EmulatorPath} is missing: cargo build --release -p graph-emulator, or pass --emulator");
            if (!File.Exists(run.ModulePath)) throw new UsageException($"{run.ModulePath} is missing: ./build.sh build, or pass --module");
            if (o.Out != null)
            {
                // A report that cannot be written should say so now, not after the run.
                string? folder = Path.GetDirectoryName(Path.GetFullPath(o.Out));
                if (folder != null && !Directory.Exists(folder)) throw new UsageException($"--out {o.Out}: there is no folder {folder}");
            }
            string help = Proc.Capture(run.EmulatorPath, "--help") ?? "";
            if (!help.Contains("--throttle-scale") || !help.Contains("--faults"))
            {
                throw new UsageException($"{run.EmulatorPath} has no --throttle-scale/--faults: rebuild it from the current source");
            }

            run.Commit = (Proc.Capture("git", "-C", root, "log", "-1", "--format=%H %s") ?? "unknown").Trim();
            run.Dirty = string.Join(", ", (Proc.Capture("git", "-C", root, "status", "--porcelain", "--", "crates", "module") ?? "")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Substring(3).Trim()));
            string dll = Path.Combine(Path.GetDirectoryName(run.ModulePath)!, "MgLicense.dll");
            string so = Directory.Exists(Path.GetDirectoryName(run.ModulePath)!)
                ? Directory.GetFiles(Path.GetDirectoryName(run.ModulePath)!, "*mglicense_ffi*", SearchOption.AllDirectories).FirstOrDefault() ?? ""
                : "";
            run.ModuleBuilt = string.Join(", ", new[] { dll, so }.Where(File.Exists)
                .Select(f => $"{Path.GetFileName(f)} built {File.GetLastWriteTimeUtc(f):yyyy-MM-dd HH:mm} UTC, sha256 {Sha(f)}"));

            run.Machine = Machine.Describe();
            Console.WriteLine("MgLicense benchmark");
            Console.WriteLine($"  commit   {run.Commit}");
            if (run.Dirty.Length > 0) Console.WriteLine($"  uncommitted changes in: {run.Dirty}");
            Console.WriteLine($"  module   {run.ModulePath} ({run.ModuleBuilt})");
            Console.WriteLine($"  emulator {run.EmulatorPath}");
            foreach (string line in run.Machine.Lines()) Console.WriteLine("  " + line);
            Console.WriteLine();

            string work = Path.Combine(Path.GetTempPath(), "mglicense-bench-" + Environment.ProcessId);
            Directory.CreateDirectory(work);
            try
            {
                // Snapshots: a build that rewrites out/ or target/ while a way runs would crash it (a native library
                // overwritten in place under a running process) or change what is measured half-way through.
                string moduleCopy = Path.Combine(work, "module", Path.GetFileName(Path.GetDirectoryName(run.ModulePath)!));
                CopyDirectory(Path.GetDirectoryName(run.ModulePath)!, moduleCopy);
                run.ModuleSnapshot = Path.Combine(moduleCopy, Path.GetFileName(run.ModulePath));
                run.EmulatorSnapshot = Path.Combine(work, Path.GetFileName(run.EmulatorPath));
                File.Copy(run.EmulatorPath, run.EmulatorSnapshot);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(run.EmulatorSnapshot, File.GetUnixFileMode(run.EmulatorPath));

                // Profile "throttled".
                Console.WriteLine($"Profile \"throttled\": {o.Users} users; latency {o.LatencyMs} ms + up to {o.JitterMs} ms; " +
                    $"write budget {run.BudgetCapacity:0.##} per {run.BudgetWindowSeconds:0.###} s = {run.BudgetRate:0.##} writes/s");
                foreach (char c in o.Runs("throttled") ? o.WaysToRun : "")
                {
                    string way = c.ToString();
                    Row row = await RunWay(run, work, way, throttled: true, o.Users, warmup: 0);
                    run.Throttled.Add(row);
                    Print(row, run.BudgetRate);
                }
                Console.WriteLine();

                // Profile "latency-bound": where batching helps.
                int latencyUsers = Math.Min(o.Users, 500);
                Console.WriteLine($"Profile \"latency-bound\": {latencyUsers} users; latency {o.LatencyMs} ms + up to {o.JitterMs} ms; no throttling; one request in flight");
                foreach (string way in o.Runs("latency") ? new[] { "a1", "f1" } : Array.Empty<string>())
                {
                    Row row = await RunWay(run, work, way, throttled: false, latencyUsers, warmup: 0, latency: true);
                    run.LatencyBound.Add(row);
                    Print(row, null);
                }
                Console.WriteLine();

                // Profile "overhead".
                Console.WriteLine($"Profile \"overhead\": {run.OverheadUsers} calls per way after a warm-up, no latency, no throttling, " +
                    $"{o.OverheadRounds} rounds (the ways interleaved, so a burst of load elsewhere hits them alike)");
                if (o.Runs("overhead")) run.Overhead.AddRange(await OverheadRounds(run, work, o.OverheadWays));
                Console.WriteLine();

                // Profile "busy": the same calls while no CPU ever goes idle, so a wake-up never waits for an idle CPU.
                string[] busyWays = Options.BusyWays.Where(o.OverheadWays.Contains).ToArray();
                if (o.Runs("busy") && busyWays.Length > 0)
                {
                    Console.WriteLine($"Profile \"busy\": {string.Join(", ", busyWays)} again, every CPU running a spinning thread of the lowest " +
                        "scheduling class (SCHED_IDLE), which gives way at once to any other thread");
                    using IdleSpinners? spinners = IdleSpinners.Start(out string? why);
                    if (spinners == null)
                    {
                        run.BusyFailure = why;
                        Console.WriteLine("  skipped: " + why);
                    }
                    else
                    {
                        run.Busy.AddRange(await OverheadRounds(run, work, busyWays));
                    }
                    Console.WriteLine();
                }

                if (o.MemoryItems > 0 && o.Runs("memory"))
                {
                    Console.WriteLine($"Memory: {o.MemoryItems} items through (a), no latency, no throttling");
                    if (o.MemoryItems >= 1000)
                    {
                        run.MemoryTenth = await RunWay(run, work, "a", throttled: false, o.MemoryItems / 10, warmup: 0);
                        Print(run.MemoryTenth, null);
                    }
                    run.Memory = await RunWay(run, work, "a", throttled: false, o.MemoryItems, warmup: 0);
                    Print(run.Memory, null);
                    run.MemoryFloor = await RunWay(run, work, "psfloor", throttled: false, o.MemoryItems, warmup: 0);
                    Print(run.MemoryFloor, null);
                    run.MemoryFloorSignedIn = await RunWay(run, work, "psfloor-mgl", throttled: false, o.MemoryItems, warmup: 0);
                    Print(run.MemoryFloorSignedIn, null);
                    Console.WriteLine();
                }

                // A manifest module with nothing in it: what Import-Module itself costs in a cold process.
                string empty = Path.Combine(work, "Empty", "Empty.psd1");
                Directory.CreateDirectory(Path.GetDirectoryName(empty)!);
                File.WriteAllText(Path.Combine(work, "Empty", "Empty.psm1"), "function Get-Nothing { }\n");
                File.WriteAllText(empty, "@{ RootModule = 'Empty.psm1'; ModuleVersion = '1.0.0'; GUID = '8d1f4b2e-0c3a-4f5e-9a7b-6c5d4e3f2a1b'; FunctionsToExport = @('Get-Nothing') }\n");
                Console.WriteLine($"Import-Module, cold (fresh process each, runspace already used once), {o.ImportSamples} samples, alternating with an empty module");
                for (int i = 0; i < (o.Runs("import") ? o.ImportSamples : 0) && run.ImportFailure == null; i++)
                {
                    foreach (var (module, times) in new[] { (run.ModuleSnapshot, run.ImportMilliseconds), (empty, run.EmptyImportMilliseconds) })
                    {
                        var (result, failure) = await Child(new[] { "--way", "import", "--module", module }, TimeSpan.FromSeconds(120));
                        if (result == null)
                        {
                            run.ImportFailure = failure;
                            Console.WriteLine("  failed: " + failure);
                            break;
                        }
                        times.Add(result.WallSeconds * 1000);
                        if (module == run.ModuleSnapshot) run.ImportPeakBytes.Add(result.PeakWorkingSetBytes);
                    }
                    if (run.ImportFailure == null) Console.WriteLine($"  MgLicense {run.ImportMilliseconds[^1]:0.0} ms, empty module {run.EmptyImportMilliseconds[^1]:0.0} ms");
                }
                if (run.ImportMilliseconds.Count > 0) Console.WriteLine($"  median: MgLicense {Median(run.ImportMilliseconds):0.0} ms, empty module {Median(run.EmptyImportMilliseconds):0.0} ms");
                // Another small module, with a view of its own, to warm a session up.
                string warmModule = Path.Combine(work, "Warm", "Warm.psd1");
                Directory.CreateDirectory(Path.GetDirectoryName(warmModule)!);
                File.WriteAllText(Path.Combine(work, "Warm", "Warm.psm1"), "function Get-Warm { }\n");
                File.WriteAllText(Path.Combine(work, "Warm", "Warm.format.ps1xml"),
                    "<Configuration><ViewDefinitions><View><Name>Warm</Name><ViewSelectedBy><TypeName>Warm.Thing</TypeName></ViewSelectedBy>" +
                    "<TableControl><TableHeaders><TableColumnHeader /></TableHeaders><TableRowEntries><TableRowEntry><TableColumnItems>" +
                    "<TableColumnItem><PropertyName>Name</PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries>" +
                    "</TableControl></View></ViewDefinitions></Configuration>\n");
                File.WriteAllText(warmModule, "@{ RootModule = 'Warm.psm1'; ModuleVersion = '1.0.0'; GUID = '5b0e6f1c-7d2a-4c3b-8e9f-1a2b3c4d5e6f'; " +
                    "FunctionsToExport = @('Get-Warm'); FormatsToProcess = @('Warm.format.ps1xml') }\n");
                Console.WriteLine($"Import-Module, warm (fresh process each, after another module with format data was imported), {o.ImportSamples} samples");
                for (int i = 0; i < (o.Runs("import") ? o.ImportSamples : 0) && run.ImportFailure == null; i++)
                {
                    var (result, failure) = await Child(new[] { "--way", "import", "--module", run.ModuleSnapshot, "--warm-with", warmModule }, TimeSpan.FromSeconds(120));
                    if (result == null)
                    {
                        run.ImportFailure = failure;
                        Console.WriteLine("  failed: " + failure);
                        break;
                    }
                    run.WarmImportMilliseconds.Add(result.WallSeconds * 1000);
                    Console.WriteLine($"  MgLicense {run.WarmImportMilliseconds[^1]:0.0} ms");
                }
                if (run.WarmImportMilliseconds.Count > 0) Console.WriteLine($"  median: MgLicense {Median(run.WarmImportMilliseconds):0.0} ms");
            }
            finally
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            run.Elapsed = DateTime.UtcNow - run.Started;
            Console.WriteLine($"load average at the end: {Machine.LoadAverage()}; the run took {run.Elapsed.TotalMinutes:0.0} min");

            if (o.Out != null)
            {
                string md = Path.GetFullPath(o.Out);
                string png = Path.ChangeExtension(md, ".png");
                Report.Chart(run, png);
                // The reads profile is run on its own (--reads) and keeps its section of the report.
                string reads = File.Exists(md) ? Reads.Existing(File.ReadAllText(md)) : "";
                string report = Report.Markdown(run, Path.GetFileName(png));
                File.WriteAllText(md, reads.Length > 0 ? Reads.Replace(report, reads) : report);
                Console.WriteLine($"wrote {md} and {png}");
            }
            return 0;
        }

        public static double Median(IReadOnlyList<double> values)
        {
            double[] sorted = values.OrderBy(v => v).ToArray();
            int n = sorted.Length;
            return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        private static void Print(Row row, double? budget)
        {
            if (row.Child == null)
            {
                Console.WriteLine($"  {row.Label,-44} FAILED: {row.Failure}");
                return;
            }
            WayResult r = row.Child;
            string head = $"  {row.Label,-44} {r.WallSeconds,7:0.00} s  {row.UsersPerSecond,7:0.0} users/s";
            if (budget is double b)
            {
                head += $"  {row.UsersPerSecond / b,5:0.00} of budget  429s {row.Throttled,5}  retries {row.Retries,5}";
            }
            else
            {
                head += $"  {row.MicrosecondsPerCall,8:0} µs/call, CPU {row.CpuMicrosecondsPerCall:0} µs/call";
                if (row.SecondHalfMicrosecondsPerCall is double half) head += $" ({half:0} in the second half)";
            }
            head += $"  ok {r.Succeeded} failed {r.Failed} lost {r.Lost}";
            if (budget != null) head += $" count≠1 {row.NeverReprocessed + row.ReprocessedTwiceOrMore}";
            head += $"  peak {r.PeakWorkingSetBytes / 1048576.0:0} MB  (load {row.LoadBefore})";
            Console.WriteLine(head);
            if (r.Errors.Count > 0) Console.WriteLine("      errors: " + string.Join(", ", r.Errors.Select(e => $"{e.Key} x{e.Value}")));
            if (r.Note != null) Console.WriteLine("      " + r.Note);
            if (row.ThrottledBy.Count > 0) Console.WriteLine("      429s: " + string.Join(", ", row.ThrottledBy.Select(e => $"{e.Key} x{e.Value}")));
        }

        /// <summary>
        /// Runs the ways in rounds, interleaved, so that a burst of load elsewhere hits them alike; the round with the median
        /// time per call stands for each way and the others give the spread.
        /// </summary>
        private static async Task<List<Row>> OverheadRounds(Run run, string work, string[] ways)
        {
            var rounds = new Dictionary<string, List<Row>>();
            for (int round = 0; round < run.Options.OverheadRounds; round++)
            {
                foreach (string way in ways)
                {
                    Row row = await RunWay(run, work, way, throttled: false, run.OverheadUsers, warmup: Math.Min(50, run.OverheadUsers));
                    if (!rounds.TryGetValue(way, out List<Row>? list)) rounds[way] = list = new List<Row>();
                    list.Add(row);
                    Print(row, null);
                }
            }
            var chosen = new List<Row>();
            foreach (var (way, list) in rounds)
            {
                Row[] done = list.Where(r => r.Child != null).OrderBy(r => r.MicrosecondsPerCall).ToArray();
                Row median = done.Length > 0 ? done[(done.Length - 1) / 2] : list[0];
                median.RoundMicroseconds = done.Select(r => r.MicrosecondsPerCall).ToList();
                median.RoundsFailed = list.Count - done.Length;
                chosen.Add(median);
            }
            return chosen;
        }

        private static async Task<Row> RunWay(Run run, string work, string way, bool throttled, int users, int warmup, bool latency = false)
        {
            var row = new Row { Way = way, Label = Labels[way] };
            string seed = Path.Combine(work, $"tenant-{users}-{(throttled ? "throttled" : latency ? "latency" : "overhead")}.json");
            string[] ids = Seed.Write(seed, users, throttled ? run : null, latency ? run : null);
            string idsFile = Path.Combine(work, $"ids-{users}.txt");
            File.WriteAllLines(idsFile, ids);

            using var emulator = EmulatorProcess.Start(run.EmulatorSnapshot, seed);
            string tokenFile = Path.Combine(work, "token.txt");
            File.WriteAllText(tokenFile, await emulator.MintToken());
            row.LoadBefore = Machine.LoadAverage();
            var args = new List<string> { "--way", way, "--url", emulator.Url, "--token-file", tokenFile, "--ids-file", idsFile,
                "--module", run.ModuleSnapshot, "--dop", run.Options.Dop.ToString(), "--warmup", warmup.ToString() };
            var timeout = TimeSpan.FromSeconds(60 + run.Options.TimeoutFactor * users);
            var (result, failure) = await Child(args.ToArray(), timeout);
            row.LoadAfter = Machine.LoadAverage();
            File.Delete(tokenFile);
            row.Child = result;
            row.Failure = failure;

            // What the emulator saw. Warm-up calls (overhead profile) are in the log too and are left out of the counts.
            using JsonDocument log = JsonDocument.Parse(await emulator.Get("/_emulator/requests"));
            var attempts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            int skip = warmup;
            foreach (JsonElement entry in log.RootElement.EnumerateArray())
            {
                string path = entry.GetProperty("path").GetString() ?? "";
                bool isBatch = path.EndsWith("$batch", StringComparison.OrdinalIgnoreCase);
                int? status = entry.TryGetProperty("status", out JsonElement s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : null;
                if (!isBatch && skip > 0)
                {
                    skip--;
                    continue;
                }
                if (status == 429)
                {
                    row.Throttled++;
                    string reason = entry.TryGetProperty("throttled", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "injected";
                    row.ThrottledBy[reason] = row.ThrottledBy.TryGetValue(reason, out int k) ? k + 1 : 1;
                }
                else if (status == null || status >= 400) row.OtherErrors++;
                if (isBatch) continue;
                row.Requests++;
                string? user = UserOf(path);
                if (user != null) attempts[user] = attempts.TryGetValue(user, out int n) ? n + 1 : 1;
            }
            row.Retries = attempts.Values.Sum(n => n - 1);
            if (throttled)
            {
                using JsonDocument view = JsonDocument.Parse(await emulator.Get("/_emulator/users"));
                foreach (JsonElement user in view.RootElement.GetProperty("value").EnumerateArray())
                {
                    long count = user.GetProperty("reprocessCount").GetInt64();
                    if (count == 0) row.NeverReprocessed++;
                    else if (count > 1) row.ReprocessedTwiceOrMore++;
                }
            }
            return row;
        }

        private static string? UserOf(string path)
        {
            string[] segments = path.Split('/');
            int i = Array.FindIndex(segments, x => x.Equals("users", StringComparison.OrdinalIgnoreCase));
            return i >= 0 && i + 1 < segments.Length ? Uri.UnescapeDataString(segments[i + 1]) : null;
        }

        /// <summary>Runs this program again as a child for one way; its last stdout line is the result.</summary>
        private static Task<(WayResult?, string?)> Child(string[] args, TimeSpan timeout) => Child<WayResult>(args, timeout);

        /// <summary>Runs this program again as a child; its last stdout line is the result, a <typeparamref name="T"/> in JSON.</summary>
        internal static async Task<(T?, string?)> Child<T>(string[] args, TimeSpan timeout) where T : class
        {
            string self = Environment.ProcessPath ?? "dotnet";
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                start.ArgumentList.Add(typeof(Runner).Assembly.Location);
            }
            foreach (string a in args) start.ArgumentList.Add(a);
            using Process child = Process.Start(start)!;
            Task<string> stdout = child.StandardOutput.ReadToEndAsync();
            Task<string> stderr = child.StandardError.ReadToEndAsync();
            using var cts = new System.Threading.CancellationTokenSource(timeout);
            try
            {
                await child.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                return (null, $"timed out after {timeout.TotalSeconds:0} s");
            }
            string output = await stdout;
            string errors = await stderr;
            string? last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            if (child.ExitCode != 0 || last == null || !last.StartsWith("{"))
            {
                string why = (errors + "\n" + output).Trim();
                return (null, $"exit {child.ExitCode}: " + (why.Length > 600 ? why.Substring(0, 600) + "..." : why));
            }
            return (JsonSerializer.Deserialize<T>(last), null);
        }

        private static string Sha(string file)
        {
            using var stream = File.OpenRead(file);
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream)).Substring(0, 12).ToLowerInvariant();
        }

        internal static void CopyDirectory(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            {
                string target = Path.Combine(to, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        internal static string FindRepoRoot()
        {
            for (string? dir = Directory.GetCurrentDirectory(); dir != null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "Cargo.toml")) && Directory.Exists(Path.Combine(dir, "bench"))) return dir;
            }
            for (string? dir = AppContext.BaseDirectory; dir != null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "Cargo.toml")) && Directory.Exists(Path.Combine(dir, "bench"))) return dir;
            }
            throw new UsageException("run from inside the MgLicense repository");
        }
    }

    /// <summary>The seed tenant: N plain users with fixed ids, and for the throttled profile the budget and latency.</summary>
    internal static class Seed
    {
        /// <param name="throttled">Graph's write budget and the latency, as that run's options give them.</param>
        /// <param name="latencyOnly">The latency without the budget.</param>
        public static string[] Write(string path, int users, Run? throttled, Run? latencyOnly = null)
        {
            var list = new List<object>();
            var ids = new string[users];
            for (int i = 0; i < users; i++)
            {
                ids[i] = new Guid(i + 1, 0x4d47, 0x4c49, 0x42, 0x45, 0x4e, 0x43, 0x48, 0, 0, 0).ToString();
                list.Add(new Dictionary<string, object>
                {
                    ["id"] = ids[i],
                    ["userPrincipalName"] = $"bench{i + 1:D6}@contoso.onmicrosoft.com",
                    ["displayName"] = $"Bench User {i + 1}",
                    ["usageLocation"] = "US",
                });
            }
            var seed = new Dictionary<string, object> { ["users"] = list };
            if (throttled != null)
            {
                Options o = throttled.Options;
                seed["throttling"] = new Dictionary<string, object>
                {
                    ["enabled"] = true,
                    ["scale"] = o.ThrottleScale,
                    // The bucket shrinks with its window, so the rate stays Graph's 20 writes/s.
                    ["limits"] = new Dictionary<string, object> { ["appTenantWrites"] = throttled.BudgetCapacity },
                };
            }
            if ((throttled ?? latencyOnly) is Run withLatency)
            {
                Options o = withLatency.Options;
                seed["faults"] = new Dictionary<string, object>
                {
                    ["seed"] = 1,
                    ["rules"] = new[]
                    {
                        // Every Graph call pays it, $batch included (its items do not pay it again).
                        new Dictionary<string, object> { ["path"] = "/**", ["latencyMs"] = o.LatencyMs, ["jitterMs"] = o.JitterMs },
                    },
                };
            }
            File.WriteAllText(path, JsonSerializer.Serialize(seed));
            return ids;
        }
    }

    /// <summary>graph-emulator as a child process; killed on dispose, and it exits by itself if we die (stdin EOF).</summary>
    internal sealed class EmulatorProcess : IDisposable
    {
        private static readonly System.Net.Http.HttpClient Http = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        private readonly Process process;
        private readonly StringBuilder errors = new StringBuilder();

        private EmulatorProcess(Process process, string url)
        {
            this.process = process;
            Url = url;
        }

        public string Url { get; }

        public static EmulatorProcess Start(string program, string seed) =>
            Start(program, TimeSpan.FromSeconds(30), "--users", seed, "--port", "0", "--seed", "1", "--exit-on-stdin-eof");

        /// <summary>The emulator with these arguments, given <paramref name="ready"/> to print its URL (a generated tenant takes a while).</summary>
        public static EmulatorProcess Start(string program, TimeSpan ready, params string[] arguments)
        {
            var start = new ProcessStartInfo(program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string a in arguments) start.ArgumentList.Add(a);
            Process p = Process.Start(start) ?? throw new InvalidOperationException("graph-emulator did not start");
            Task<string?> first = p.StandardOutput.ReadLineAsync();
            if (!first.Wait(ready) || string.IsNullOrWhiteSpace(first.Result))
            {
                p.Kill(entireProcessTree: true);
                throw new InvalidOperationException("graph-emulator printed no URL: " + p.StandardError.ReadToEnd());
            }
            var e = new EmulatorProcess(p, first.Result!.Trim().TrimEnd('/'));
            p.ErrorDataReceived += (_, d) => { if (d.Data != null) lock (e.errors) e.errors.AppendLine(d.Data); };
            p.BeginErrorReadLine();
            return e;
        }

        public async Task<string> MintToken(string role = "User.ReadWrite.All")
        {
            using var body = new System.Net.Http.StringContent("{\"roles\":[\"" + role + "\"]}", Encoding.UTF8, "application/json");
            using var response = await Http.PostAsync(Url + "/_emulator/tokens", body);
            string text = await response.Content.ReadAsStringAsync();
            response.EnsureSuccessStatusCode();
            using JsonDocument d = JsonDocument.Parse(text);
            return d.RootElement.GetProperty("access_token").GetString()!;
        }

        public Task<string> Get(string path) => Http.GetStringAsync(Url + path);

        public void Dispose()
        {
            try
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(3000)) process.Kill(entireProcessTree: true);
            }
            catch (Exception)
            {
                try { process.Kill(entireProcessTree: true); } catch (Exception) { }
            }
            process.Dispose();
        }
    }
}
