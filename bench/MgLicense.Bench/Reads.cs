// Profile "reads": the whole directory read at tenant scale, the way a license runbook starts. For each size a
// graph-emulator serving a generated tenant (--generate n), and for each way a fresh child process that pages through
// every user and filters them, printing one JSON line: wall time, time to the first user the filter passes, users
// seen and passed, peak resident memory. `bench/run.sh --reads --out docs/benchmarks.md` rewrites the report's reads
// section only (between its markers), so this profile can be re-run on its own.
//
// Ways (each "what" is one of: select = -Property id,userPrincipalName,licenseAssignmentStates, filtered on a license
// state in error; typed = no -Property (v1.0's default properties), filtered on jobTitle; members = the members with
// license errors of the tenant's largest group, not filtered):
//   floor    a bare HttpClient paging loop: GET, System.Text.Json's JsonDocument, follow @odata.nextLink
//   sdk      the Graph .NET SDK's PageIterator over GraphServiceClient.Users.GetAsync (typed models)
//   irm      PowerShell without MgLicense: an Invoke-RestMethod paging loop piped to the same Where-Object
//   mgl      MgLicense: Get-MgUser -All [-Property ...] | Where-Object ..., or Get-MgGroupMemberWithLicenseError -All
//   pipe     PowerShell's own part of mgl's pipeline, no Graph: the same users, read with Get-MgUser before the clock
//            starts and held in memory, piped to the same Where-Object (what a pipeline costs whoever makes its objects)
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Graph;
using UserCollectionResponse = Microsoft.Graph.Models.UserCollectionResponse;
using User = Microsoft.Graph.Models.User;

namespace MgLicense.Bench
{
    /// <summary>What a reads child saw, printed as its last stdout line.</summary>
    public sealed class ReadResult
    {
        public string Way { get; set; } = "";
        public string What { get; set; } = "";
        public long Seen { get; set; }
        public long Passed { get; set; }
        public double WallSeconds { get; set; }
        public double? FirstSeconds { get; set; }
        public double CpuSeconds { get; set; }
        public long PeakBytes { get; set; }
        public long AfterSetupBytes { get; set; }
        /// <summary>Managed memory allocated while the way ran (every thread), and the garbage collections it took.</summary>
        public long AllocatedBytes { get; set; }
        public int Collections { get; set; }
        /// <summary>Full (gen2) collections while the way ran, and the managed heap's size after the last collection.</summary>
        public int FullCollections { get; set; }
        public long HeapAtEndBytes { get; set; }
        public string? Error { get; set; }
    }

    internal sealed class ReadRow
    {
        public int Users { get; set; }
        public string Way { get; set; } = "";
        public string What { get; set; } = "";
        public ReadResult? Result { get; set; }
        public string? Failure { get; set; }
        public string Load { get; set; } = "";
        public double UsersPerSecond => Result == null || Result.WallSeconds <= 0 ? 0 : Result.Seen / Result.WallSeconds;
    }

    internal static class Reads
    {
        public const string Begin = "<!-- reads profile: begin (written by bench/run.sh --reads --out docs/benchmarks.md) -->";
        public const string End = "<!-- reads profile: end -->";

        /// <summary>The filter each "what" applies, as the same predicate in C# and in PowerShell.</summary>
        private const string SelectFilter = "{ $_.LicenseAssignmentStates.Error -ne 'None' }";
        private const string TypedFilter = "{ $_.JobTitle -eq 'Counsel' }";
        private const string Select = "id,userPrincipalName,licenseAssignmentStates";
        public const string LargestGroup = "6a2f0c4e-1b3d-4f5a-8c7e-9d0b1a2c3e4f";

        /// <summary>The rows of the profile, in the order they are run and shown.</summary>
        public static readonly (string What, string Way, string Label)[] Plan =
        {
            ("select", "floor", "bare HttpClient paging loop (floor)"),
            ("select", "sdk", "Graph .NET SDK, PageIterator"),
            ("select", "irm", "PowerShell, Invoke-RestMethod paging loop"),
            ("select", "mgl", "MgLicense, Get-MgUser -All -Property"),
            ("select", "pipe", "PowerShell alone: the same users from memory, Where-Object"),
            ("typed", "floor", "bare HttpClient paging loop (floor)"),
            ("typed", "sdk", "Graph .NET SDK, PageIterator"),
            ("typed", "mgl", "MgLicense, Get-MgUser -All (typed users)"),
            ("typed", "pipe", "PowerShell alone: the same users from memory, Where-Object"),
            ("members", "floor", "bare HttpClient paging loop (floor)"),
            ("members", "mgl", "MgLicense, Get-MgGroupMemberWithLicenseError -All"),
        };

        public static string Command(string what, string way) => (what, way) switch
        {
            ("select", "mgl") => $"Get-MgUser -All -Property {Select} | Where-Object {SelectFilter}",
            ("select", "irm") => $"Invoke-RestMethod loop over /users?$select={Select} | Where-Object {SelectFilter}",
            ("typed", "mgl") => $"Get-MgUser -All | Where-Object {TypedFilter}",
            ("members", "mgl") => "Get-MgGroupMemberWithLicenseError -GroupId <E3 group> -All",
            ("select", _) => "/users?$select=" + Select + ", filtered on a license state in error",
            ("typed", _) => "/users (default properties), filtered on jobTitle",
            _ => "/groups/<E3 group>/membersWithLicenseErrors",
        };

        // ---------------- parent ----------------

        public static async Task<int> RunProfile(Options o)
        {
            string root = Runner.FindRepoRoot();
            string emulatorPath = Path.GetFullPath(o.Emulator ?? Path.Combine(root, "target", "release", "graph-emulator"));
            string modulePath = Path.GetFullPath(o.Module ?? Path.Combine(root, "out", "MgLicense", "MgLicense.psd1"));
            if (!File.Exists(emulatorPath)) throw new UsageException($"{emulatorPath} is missing: cargo build --release -p graph-emulator");
            if (!File.Exists(modulePath)) throw new UsageException($"{modulePath} is missing: ./build.sh build");
            if (!(Proc.Capture(emulatorPath, "--help") ?? "").Contains("--generate"))
                throw new UsageException($"{emulatorPath} has no --generate: rebuild it from the current source");
            var started = DateTime.UtcNow;
            string commit = (Proc.Capture("git", "-C", root, "log", "-1", "--format=%H %s") ?? "unknown").Trim();
            string dirty = string.Join(", ", (Proc.Capture("git", "-C", root, "status", "--porcelain", "--", "crates", "module") ?? "")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Substring(3).Trim()));
            Machine machine = Machine.Describe();
            Console.WriteLine("MgLicense benchmark, profile \"reads\"");
            Console.WriteLine($"  commit   {commit}");
            if (dirty.Length > 0) Console.WriteLine($"  uncommitted changes in: {dirty}");
            foreach (string line in machine.Lines()) Console.WriteLine("  " + line);

            string work = Path.Combine(Path.GetTempPath(), "mglicense-bench-reads-" + Environment.ProcessId);
            Directory.CreateDirectory(work);
            var rows = new List<ReadRow>();
            try
            {
                string moduleCopy = Path.Combine(work, "module", Path.GetFileName(Path.GetDirectoryName(modulePath)!));
                Runner.CopyDirectory(Path.GetDirectoryName(modulePath)!, moduleCopy);
                string module = Path.Combine(moduleCopy, Path.GetFileName(modulePath));
                string emulator = Path.Combine(work, Path.GetFileName(emulatorPath));
                File.Copy(emulatorPath, emulator);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(emulator, File.GetUnixFileMode(emulatorPath));

                foreach (int users in o.ReadsUsers)
                {
                    Console.WriteLine();
                    var watch = Stopwatch.StartNew();
                    using EmulatorProcess graph = EmulatorProcess.Start(emulator, TimeSpan.FromMinutes(5),
                        "--generate", users.ToString(), "--seed", "1", "--port", "0", "--exit-on-stdin-eof");
                    Console.WriteLine($"{users:N0} users: the emulator generated and loaded the tenant in {watch.Elapsed.TotalSeconds:0.0} s");
                    string tokenFile = Path.Combine(work, "token.txt");
                    File.WriteAllText(tokenFile, await graph.MintToken("Directory.Read.All"));
                    foreach (var (what, way, label) in Plan.Where(p => o.ReadsWays == null || o.ReadsWays.Contains(p.What + ":" + p.Way)
                                 || o.ReadsWays.Contains(p.Way) || o.ReadsWays.Contains(p.What)))
                    {
                        var row = new ReadRow { Users = users, Way = way, What = what, Load = Machine.LoadAverage() };
                        var timeout = TimeSpan.FromSeconds(120 + users / 250.0);
                        (row.Result, row.Failure) = await Runner.Child<ReadResult>(new[] { "--reads-way", way, "--reads-what", what, "--url", graph.Url,
                            "--token-file", tokenFile, "--module", module }, timeout);
                        if (row.Result is ReadResult read && read.Seen < 0)
                        {
                            read.Seen = rows.FirstOrDefault(r => r.Users == users && r.What == what && r.Way == "floor")?.Result?.Seen ?? 0;
                        }
                        rows.Add(row);
                        Console.WriteLine(Line(row, label));
                    }
                    File.Delete(tokenFile);
                }
            }
            finally
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            var elapsed = DateTime.UtcNow - started;
            Console.WriteLine($"load average at the end: {Machine.LoadAverage()}; the profile took {elapsed.TotalMinutes:0.0} min");
            if (o.Out != null)
            {
                string md = Path.GetFullPath(o.Out);
                string section = Markdown(rows, o, commit, dirty, machine, started, elapsed);
                string text = File.Exists(md) ? File.ReadAllText(md) : "# Benchmarks\n";
                File.WriteAllText(md, Replace(text, section));
                Console.WriteLine($"wrote the reads profile into {md}");
            }
            return rows.Any(r => r.Result == null) ? 1 : 0;
        }

        /// <summary>The report with its reads section replaced (or added at the end).</summary>
        public static string Replace(string text, string section)
        {
            int b = text.IndexOf(Begin, StringComparison.Ordinal), e = text.IndexOf(End, StringComparison.Ordinal);
            if (b >= 0 && e > b) return text.Substring(0, b) + section + text.Substring(e + End.Length);
            return text.TrimEnd('\n') + "\n\n" + section + "\n";
        }

        /// <summary>The reads section of a report, markers included; empty if there is none.</summary>
        public static string Existing(string text)
        {
            int b = text.IndexOf(Begin, StringComparison.Ordinal), e = text.IndexOf(End, StringComparison.Ordinal);
            return b >= 0 && e > b ? text.Substring(b, e + End.Length - b) : "";
        }

        /// <summary>The heading in bench/observations.md from which on the notes are about this profile.</summary>
        public const string ObservationsHeading = "## Reads at tenant scale";

        /// <summary>bench/observations.md parted: the notes about this profile, and the others.</summary>
        public static (string Reads, string Others) Observations(string text)
        {
            int at = text.IndexOf(ObservationsHeading, StringComparison.Ordinal);
            return at < 0 ? ("", text) : (text.Substring(at + ObservationsHeading.Length).Trim('\n'), text.Substring(0, at));
        }

        private static string Label(string what, string way) => Plan.First(p => p.What == what && p.Way == way).Label;

        private static string Line(ReadRow row, string label)
        {
            if (row.Result == null) return $"  {label}: FAILED {row.Failure}";
            ReadResult r = row.Result;
            return $"  {row.What,-8} {label,-52} {r.WallSeconds,7:0.00} s {row.UsersPerSecond,9:N0} users/s  first {F(r.FirstSeconds)} s  " +
                   $"seen {r.Seen:N0} passed {r.Passed:N0}  peak {Mb(r.PeakBytes)} MB (after setup {Mb(r.AfterSetupBytes)} MB)  cpu {r.CpuSeconds:0.0} s  " +
                   $"allocated {Mb(r.AllocatedBytes)} MB in {r.Collections} GCs ({r.FullCollections} full), heap at the end {Mb(r.HeapAtEndBytes)} MB  load {row.Load}" +
                   (r.Error != null ? "  ERROR " + r.Error : "");
        }

        private static string F(double? seconds) => seconds is double s ? s.ToString("0.000") : "-";
        private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0");

        private static string Markdown(List<ReadRow> rows, Options o, string commit, string dirty, Machine machine, DateTime started, TimeSpan elapsed)
        {
            var s = new StringBuilder();
            void L(string line = "") => s.Append(line).Append('\n');
            L(Begin);
            L("## Profile \"reads\": the whole directory, as a runbook starts");
            L();
            L("Every user of a tenant read and filtered in one pipeline, as most license runbooks begin; one run of");
            L();
            L("```sh");
            L($"bench/run.sh --reads --reads-users {string.Join(",", o.ReadsUsers)} --out docs/benchmarks.md");
            L("```");
            L();
            L("| | |");
            L("|---|---|");
            L($"| date | {started:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalMinutes:0.0} min |");
            L($"| commit | `{commit}`{(dirty.Length > 0 ? " (uncommitted changes in " + dirty + ")" : "")} |");
            foreach (string line in machine.Lines())
            {
                string[] parts = line.Split(' ', 2);
                L($"| {parts[0]} | {(parts.Length > 1 ? parts[1].Trim() : "")} |");
            }
            L();
            L("The emulator serves a tenant it generated (`graph-emulator --generate <n> --seed 1`: users with license states,");
            L("four licensing groups), on the same machine and cores as the client; no latency, no throttling, so the client's own");
            L("work and the emulator's are all there is. Every way reads Graph's default page (100 objects) and follows");
            L("`@odata.nextLink` to the end, in a fresh process, after its import, sign-in or client construction (not timed).");
            L();
            L("Columns: **wall** = from the first request to the last object handled; **users/s** = objects read / wall;");
            L("**× floor** = wall over the floor's for the same read; **first** = time to the first object the filter passes");
            L("(what an admin sees first); **CPU** = the client process's CPU time (user and system, every thread) over the same");
            L("span: on a busy machine the wall time includes waiting for a core, the CPU time much less so; **passed** = objects");
            L("the filter passed (the same for every way: they read the same users); **peak** = the process's peak resident memory");
            L("(VmHWM: the runtime, PowerShell where there is one, and everything the way held), and **before** = its resident");
            L("memory before the first request; **allocated** = managed memory allocated meanwhile (what the garbage collector");
            L("had to clear); **load** = the load average (1/5/15 min) as the way started: above 2 (the cores) the processes");
            L("queued for CPU, and the times include it.");
            L();
            L("**PowerShell alone** is not a way to read Graph: it is the part of MgLicense's pipeline that is PowerShell's. The same");
            L("users, read with `Get-MgUser` before the clock starts and held in memory, are piped to the same `Where-Object`; its wall");
            L("and CPU time are what passing that many objects through a script-block filter costs, whoever made them (its peak");
            L("memory holds every user at once, so it says nothing about the reads'). MgLicense's wall time minus it is the read's own:");
            L("fetching, the engine, and making the objects.");
            foreach (var group in rows.GroupBy(r => r.What))
            {
                L();
                L(group.Key switch
                {
                    "select" => $"**`{Command("select", "mgl")}`**, against the same read done the other ways:",
                    "typed" => $"**Typed output** (no `-Property`: v1.0's default properties, each user the typed model): `{Command("typed", "mgl")}`",
                    _ => $"**A large group's members with license errors**: `{Command("members", "mgl")}` (every such member, unfiltered)",
                });
                L();
                L("| users | way | wall | users/s | × floor | CPU | × floor | first | passed | peak MB | before MB | allocated MB | load |");
                L("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
                foreach (ReadRow r in group)
                {
                    string label = Label(r.What, r.Way);
                    if (r.Result == null)
                    {
                        L($"| {r.Users:N0} | {label} | failed: {r.Failure} | | | | | | | | | | {r.Load} |");
                        continue;
                    }
                    ReadResult x = r.Result;
                    ReadRow? floor = rows.FirstOrDefault(f => f.What == r.What && f.Users == r.Users && f.Way == "floor" && f.Result != null);
                    string ratio = floor?.Result is ReadResult fr && fr.WallSeconds > 0 ? (x.WallSeconds / fr.WallSeconds).ToString("0.00") : "";
                    string cpuRatio = floor?.Result is ReadResult fc && fc.CpuSeconds > 0 ? (x.CpuSeconds / fc.CpuSeconds).ToString("0.00") : "";
                    string users = r.What == "members" ? $"{r.Users:N0} ({x.Seen:N0} members)" : $"{r.Users:N0}";
                    L($"| {users} | {label}{(x.Error != null ? " (error: " + x.Error + ")" : "")} | {x.WallSeconds:0.00} s | {r.UsersPerSecond:N0} | {ratio} | " +
                      $"{x.CpuSeconds:0.00} s | {cpuRatio} | {F(x.FirstSeconds)} s | {x.Passed:N0} | {Mb(x.PeakBytes)} | {Mb(x.AfterSetupBytes)} | " +
                      $"{Mb(x.AllocatedBytes)} | {r.Load} |");
                }
            }
            L();
            L("### Against issue 24's targets");
            L();
            L("Reported, not asserted.");
            L();
            L("| target | users | measured | |");
            L("|---|---:|---|---|");
            foreach (int users in rows.Select(r => r.Users).Distinct())
            {
                ReadResult? Get(string what, string way) => rows.FirstOrDefault(r => r.Users == users && r.What == what && r.Way == way)?.Result;
                ReadResult? m = Get("select", "mgl"), f = Get("select", "floor"), k = Get("select", "sdk"), t = Get("typed", "mgl");
                if (m != null && f != null)
                    L($"| within 1.2 × the floor's wall time | {users:N0} | {m.WallSeconds / f.WallSeconds:0.00} × ({m.WallSeconds:0.00} vs {f.WallSeconds:0.00} s; " +
                      $"CPU {m.CpuSeconds / f.CpuSeconds:0.00} ×) | {Met(m.WallSeconds <= 1.2 * f.WallSeconds)} |");
                if (m != null && f != null && Get("select", "pipe") is ReadResult p)
                    L($"| (not a target) MgLicense's own part: its wall time less PowerShell alone's, over the floor's | {users:N0} | " +
                      $"{(m.WallSeconds - p.WallSeconds) / f.WallSeconds:0.00} × (({m.WallSeconds:0.00} − {p.WallSeconds:0.00}) vs {f.WallSeconds:0.00} s) | |");
                if (m != null && k != null)
                    L($"| ahead of the .NET SDK's PageIterator | {users:N0} | {m.WallSeconds:0.00} vs {k.WallSeconds:0.00} s (CPU {m.CpuSeconds:0.0} vs {k.CpuSeconds:0.0} s) | " +
                      $"{Met(m.WallSeconds < k.WallSeconds)} |");
                if (m?.FirstSeconds is double first)
                    L($"| first user under 1 s | {users:N0} | {first:0.000} s | {Met(first < 1)} |");
                if (m != null)
                    L($"| peak memory under 200 MB, -Property, pipeline filtering | {users:N0} | {Mb(m.PeakBytes)} MB | {Met(m.PeakBytes < 200L * 1048576)} |");
                if (t != null)
                    L($"| the same, typed users | {users:N0} | {Mb(t.PeakBytes)} MB | {Met(t.PeakBytes < 200L * 1048576)} |");
            }
            var sizes = rows.Select(r => r.Users).Distinct().OrderBy(n => n).ToArray();
            if (sizes.Length >= 2)
            {
                ReadResult? small = rows.FirstOrDefault(r => r.Users == sizes[0] && r.What == "select" && r.Way == "mgl")?.Result;
                ReadResult? large = rows.FirstOrDefault(r => r.Users == sizes[^1] && r.What == "select" && r.Way == "mgl")?.Result;
                if (small != null && large != null)
                    L($"| peak memory flat in the number of users | {sizes[0]:N0} → {sizes[^1]:N0} | {Mb(small.PeakBytes)} → {Mb(large.PeakBytes)} MB | " +
                      $"{Met(large.PeakBytes < small.PeakBytes * 1.15)} |");
            }
            string notes = Path.Combine(Runner.FindRepoRoot(), "bench", "observations.md");
            string reads = File.Exists(notes) ? Observations(File.ReadAllText(notes)).Reads : "";
            if (reads.Length > 0)
            {
                L();
                L("### Observations (written by hand about this profile's run)");
                L();
                L(reads.TrimEnd());
            }
            L();
            L(End);
            return s.ToString();
        }

        private static string Met(bool met) => met ? "met" : "not met";

        // ---------------- child ----------------

        public static async Task<ReadResult> RunChild(Options o)
        {
            string way = o.ReadsWay!, what = o.ReadsWhat ?? "select";
            string url = o.Url ?? throw new UsageException("--url is required with --reads-way");
            string token = File.ReadAllText(o.TokenFile ?? throw new UsageException("--token-file is required")).Trim();
            var result = new ReadResult { Way = way, What = what };
            var sink = new Sink();
            try
            {
                switch (way)
                {
                    case "floor":
                        await Floor(url, token, what, sink, result);
                        break;
                    case "sdk":
                        await Sdk(url, token, what, sink, result);
                        break;
                    case "irm":
                    case "mgl":
                    case "pipe":
                        PowerShellWay(o, url, token, way, what, sink, result);
                        break;
                    default:
                        throw new UsageException($"--reads-way takes floor, sdk, irm, mgl or pipe, not '{way}'");
                }
            }
            catch (Exception e) when (e is not UsageException)
            {
                result.Error = e.GetType().Name + ": " + e.Message.Split('\n')[0];
            }
            result.Seen = sink.Seen;
            result.Passed = sink.Passed;
            result.FirstSeconds = sink.First;
            result.WallSeconds = sink.Wall.Elapsed.TotalSeconds;
            result.CpuSeconds = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - sink.CpuAtStart;
            result.PeakBytes = PeakResident();
            result.AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - sink.AllocatedAtStart;
            result.Collections = GC.CollectionCount(0) - sink.CollectionsAtStart;
            result.FullCollections = GC.CollectionCount(2) - sink.FullCollectionsAtStart;
            result.HeapAtEndBytes = GC.GetGCMemoryInfo().HeapSizeBytes;
            return result;
        }

        /// <summary>Counts what a way reads and passes, and when the first passed object came.</summary>
        private sealed class Sink
        {
            public readonly Stopwatch Wall = new Stopwatch();
            public long Seen;
            public long Passed;
            public double? First;
            public double CpuAtStart;
            public long AllocatedAtStart;
            public int CollectionsAtStart;
            public int FullCollectionsAtStart;

            public void Start(ReadResult result)
            {
                result.AfterSetupBytes = Resident();
                CpuAtStart = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
                AllocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
                CollectionsAtStart = GC.CollectionCount(0);
                FullCollectionsAtStart = GC.CollectionCount(2);
                Wall.Start();
            }

            public void Pass()
            {
                if (Passed++ == 0) First = Wall.Elapsed.TotalSeconds;
            }
        }

        private static string FirstPath(string what) => what switch
        {
            "select" => "/v1.0/users?$select=" + Select,
            "typed" => "/v1.0/users",
            _ => $"/v1.0/groups/{LargestGroup}/membersWithLicenseErrors",
        };

        private static bool InError(JsonElement user) =>
            user.TryGetProperty("licenseAssignmentStates", out JsonElement states) && states.ValueKind == JsonValueKind.Array &&
            states.EnumerateArray().Any(s => s.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.String && e.GetString() != "None");

        private static async Task Floor(string url, string token, string what, Sink sink, ReadResult result)
        {
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            string? next = url + FirstPath(what);
            sink.Start(result);
            while (next != null)
            {
                using HttpResponseMessage response = await http.GetAsync(next, HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                await using Stream body = await response.Content.ReadAsStreamAsync();
                using JsonDocument page = await JsonDocument.ParseAsync(body);
                foreach (JsonElement user in page.RootElement.GetProperty("value").EnumerateArray())
                {
                    sink.Seen++;
                    bool pass = what switch
                    {
                        "select" => InError(user),
                        "typed" => user.TryGetProperty("jobTitle", out JsonElement t) && t.ValueKind == JsonValueKind.String && t.GetString() == "Counsel",
                        _ => true,
                    };
                    if (pass) sink.Pass();
                }
                next = page.RootElement.TryGetProperty("@odata.nextLink", out JsonElement link) ? link.GetString() : null;
            }
            sink.Wall.Stop();
        }

        private static async Task Sdk(string url, string token, string what, Sink sink, ReadResult result)
        {
            var client = new GraphServiceClient(new Ways.StaticToken(token), url + "/v1.0");
            sink.Start(result);
            UserCollectionResponse? first = await client.Users.GetAsync(rc =>
            {
                if (what == "select") rc.QueryParameters.Select = Select.Split(',');
            });
            var iterator = PageIterator<User, UserCollectionResponse>.CreatePageIterator(client, first!, user =>
            {
                sink.Seen++;
                bool pass = what == "select"
                    ? user.LicenseAssignmentStates?.Any(s => s.Error != "None") == true
                    : user.JobTitle == "Counsel";
                if (pass) sink.Pass();
                return true;
            });
            await iterator.IterateAsync();
            sink.Wall.Stop();
        }

        private static void PowerShellWay(Options o, string url, string token, string way, string what, Sink sink, ReadResult result)
        {
            Environment.SetEnvironmentVariable("PSModulePath", string.Empty);
            InitialSessionState state = InitialSessionState.CreateDefault2();
            // A host built on the SDK has no module path to load Microsoft.PowerShell.Utility from; pwsh has.
            state.Commands.Add(new SessionStateCmdletEntry("Invoke-RestMethod", typeof(Microsoft.PowerShell.Commands.InvokeRestMethodCommand), null));
            using Runspace runspace = RunspaceFactory.CreateRunspace(state);
            runspace.Open();
            string filter = what == "typed" ? TypedFilter : SelectFilter;
            string script;
            var parameters = new Dictionary<string, object?>();
            if (way == "irm")
            {
                if (what != "select") throw new UsageException("--reads-way irm reads the select query only");
                // What a script without any Graph module writes: page with Invoke-RestMethod, emit each page's users.
                script = "param($uri, $headers) & { while ($uri) { $page = Invoke-RestMethod -Uri $uri -Headers $headers; $page.value; " +
                         "$uri = $page.'@odata.nextLink' } } | Where-Object " + filter;
                parameters["uri"] = url + FirstPath(what);
                parameters["headers"] = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
            }
            else
            {
                string module = o.Module ?? throw new UsageException("--module is required");
                var secure = new SecureString();
                foreach (char ch in token) secure.AppendChar(ch);
                secure.MakeReadOnly();
                using (PowerShell setup = PowerShell.Create(runspace))
                {
                    setup.AddScript("param($path, $url, $token) Import-Module -Name $path; " +
                                    "Add-MgEnvironment -Name Bench -GraphEndpoint $url -AzureADEndpoint $url | Out-Null; " +
                                    "Connect-MgGraph -Environment Bench -AccessToken $token -NoWelcome | Out-Null")
                        .AddParameter("path", module).AddParameter("url", url).AddParameter("token", secure);
                    setup.Invoke();
                    if (setup.HadErrors) throw new InvalidOperationException("import and sign-in failed: " + string.Join("; ", setup.Streams.Error));
                }
                string read = what switch
                {
                    "select" => $"Get-MgUser -All -Property {Select}",
                    "typed" => "Get-MgUser -All",
                    _ => $"Get-MgGroupMemberWithLicenseError -GroupId {LargestGroup} -All",
                };
                if (way == "pipe")
                {
                    if (what == "members") throw new UsageException("--reads-way pipe reads the select and typed queries only");
                    // The users are made and held before the clock starts: what is timed is PowerShell's pipeline alone.
                    using PowerShell before = PowerShell.Create(runspace);
                    before.AddScript($"$global:users = @({read}); $global:users.Count");
                    Collection<PSObject> held = before.Invoke();
                    if (before.HadErrors || held.Count != 1) throw new InvalidOperationException("reading the users beforehand failed: " + string.Join("; ", before.Streams.Error));
                    script = $"$global:users | Where-Object {filter}";
                }
                else
                {
                    script = what == "members" ? read : $"{read} | Where-Object {filter}";
                }
            }
            using PowerShell ps = PowerShell.Create(runspace);
            ps.AddScript(script);
            foreach (var p in parameters) ps.AddParameter(p.Key, p.Value);
            // What passes the filter is counted and let go as it comes, as a script piping onwards would.
            var output = new PSDataCollection<PSObject>();
            output.DataAdded += (_, _) =>
            {
                foreach (PSObject _ in output.ReadAll()) sink.Pass();
            };
            sink.Start(result);
            ps.Invoke(null, output);
            sink.Wall.Stop();
            // A pipeline has no counter of its own that costs nothing per object: the users it read are the floor's (the
            // same read of the same tenant), filled in by the parent.
            sink.Seen = -1;
            if (ps.HadErrors && ps.Streams.Error.Count > 0) result.Error = ps.Streams.Error[0].ToString();
        }

        private static long PeakResident() => Status("VmHWM:");

        private static long Resident() => Status("VmRSS:");

        private static long Status(string field)
        {
            try
            {
                foreach (string line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith(field, StringComparison.Ordinal))
                    {
                        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
                    }
                }
            }
            catch (IOException)
            {
            }
            return 0;
        }
    }
}
