// The benchmark's two faces: the parent runs each way in a child process against a fresh emulator and writes the
// report; a child (`--way x`) reprocesses the users one way and prints one JSON line with what it saw.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace MgLicense.Bench
{
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            Environment.SetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT", "1");
            Environment.SetEnvironmentVariable("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
            try
            {
                Options options = Options.Parse(args);
                if (options.Help)
                {
                    Console.WriteLine(Options.Usage);
                    return 0;
                }
                if (options.ReadsWay != null)
                {
                    ReadResult read = await Reads.RunChild(options);
                    Console.Out.Flush();
                    Console.WriteLine(JsonSerializer.Serialize(read));
                    return 0;
                }
                if (options.Reads)
                {
                    return await Reads.RunProfile(options);
                }
                if (options.Way != null)
                {
                    // Child: one way, one JSON line on stdout.
                    WayResult result = await Ways.Run(options);
                    Console.Out.Flush();
                    Console.WriteLine(JsonSerializer.Serialize(result));
                    return 0;
                }
                return await Runner.Run(options);
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine("MgLicense.Bench: " + e.Message);
                Console.Error.WriteLine(Options.Usage);
                return 2;
            }
        }
    }

    public sealed class UsageException : Exception
    {
        public UsageException(string message) : base(message) { }
    }

    public sealed class Options
    {
        public const string Usage = @"usage: bench/run.sh [options]   (or: dotnet run -c Release --project bench/MgLicense.Bench -- [options])

  --users <n>            users to reprocess in each way (default 2000; --quick: 200)
  --quick                a short run: 200 users, 3 import samples, overhead over 500 calls
  --out <file>           write the report (markdown) here, and its chart beside it as <name>.png
  --ways <list>          throttled-profile ways to run, e.g. abcdef (default) or af
  --profiles <list>      profiles to run, comma-separated, from throttled,latency,overhead,busy,memory,import
                         (default: all); a partial run cannot write a report (--out)
  --overhead-ways <list> overhead-profile ways, comma-separated, from floor,engine,a,b,psloop,c (default: all;
                         the busy profile runs floor,engine,psloop,b of them)
  --throttle-scale <f>   shrink the write bucket and its window by f (default 0.01: 30 writes per 1.5 s,
                         still 20 writes/s; see docs/benchmarks.md)
  --latency-ms <n>       fixed latency on Graph calls in the throttled profile (default 60)
  --jitter-ms <n>        plus up to this much, uniformly drawn (default 40: about 80 ms on average)
  --dop <n>              MaxDegreeOfParallelism for way (d) (default 16)
  --import-samples <n>   fresh processes timing Import-Module (default 7)
  --overhead-users <n>   calls per way in the overhead profile (default: --users or 10000, whichever is more)
  --overhead-rounds <n>  rounds of the overhead profile; the median round is reported (default 3)
  --memory-items <n>     items piped through (a) once more, unthrottled, for its peak memory (default 100000;
                         --quick: 0, skipped)
  --emulator <path>      graph-emulator program (default target/release/graph-emulator)
  --module <path>        MgLicense.psd1 (default out/MgLicense/MgLicense.psd1)
  --timeout-factor <f>   a way's child is killed after 60 s + f x users seconds (default 0.5)

  --reads                run the reads profile only (see bench/README.md); with --out, rewrite only the report's reads
                         section, between its markers
  --reads-users <list>   tenant sizes for --reads, comma-separated (default 100000,300000)
  --reads-ways <list>    some rows only: ways (floor,sdk,irm,mgl,pipe), reads (select,typed,members) or what:way pairs";

        public bool Help { get; private set; }
        public int Users { get; private set; } = 2000;
        public bool Quick { get; private set; }
        public string? Out { get; private set; }
        public string WaysToRun { get; private set; } = "abcdef";
        public static readonly string[] AllProfiles = { "throttled", "latency", "overhead", "busy", "memory", "import" };
        public static readonly string[] AllOverheadWays = { "floor", "engine", "a", "b", "psloop", "c" };

        /// <summary>The ways the "busy" profile runs again on CPUs kept out of idle: the floor, and (b) taken apart.</summary>
        public static readonly string[] BusyWays = { "floor", "engine", "psloop", "b" };
        public string[] Profiles { get; private set; } = AllProfiles;
        public string[] OverheadWays { get; private set; } = AllOverheadWays;
        public bool Runs(string profile) => Profiles.Contains(profile);
        public double ThrottleScale { get; private set; } = 0.01;
        public int LatencyMs { get; private set; } = 60;
        public int JitterMs { get; private set; } = 40;
        public int Dop { get; private set; } = 16;
        public int ImportSamples { get; private set; } = 7;
        public int? OverheadUsers { get; private set; }
        public int OverheadRounds { get; private set; } = 3;
        public int MemoryItems { get; private set; } = 100_000;
        public string? Emulator { get; private set; }
        public string? Module { get; private set; }
        /// <summary>Child only (way import): a module imported, and a table formatted, before the timed import.</summary>
        public string? WarmWith { get; private set; }
        public double TimeoutFactor { get; private set; } = 0.5;

        // Child-only arguments.
        public string? Way { get; private set; }
        public string? Url { get; private set; }
        public string? TokenFile { get; private set; }
        public string? IdsFile { get; private set; }
        public int Warmup { get; private set; }
        public bool Reads { get; private set; }
        public int[] ReadsUsers { get; private set; } = { 100_000, 300_000 };
        public string[]? ReadsWays { get; private set; }
        public string? ReadsWay { get; private set; }
        public string? ReadsWhat { get; private set; }

        public static Options Parse(string[] args)
        {
            var o = new Options();
            bool usersGiven = false, samplesGiven = false, memoryGiven = false;
            for (int i = 0; i < args.Length; i++)
            {
                string flag = args[i];
                string Value()
                {
                    if (i + 1 >= args.Length) throw new UsageException($"{flag} needs a value");
                    return args[++i];
                }
                int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0
                    ? n : throw new UsageException($"{flag} takes a whole number");
                string[] List(string[] allowed)
                {
                    string[] items = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    string? unknown = items.FirstOrDefault(i => !allowed.Contains(i));
                    if (unknown != null) throw new UsageException($"{flag} takes names from {string.Join(",", allowed)}, not '{unknown}'");
                    return items;
                }
                double Double() => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d > 0
                    ? d : throw new UsageException($"{flag} takes a positive number");
                switch (flag)
                {
                    case "-h": case "--help": o.Help = true; break;
                    case "--users": o.Users = Int(); usersGiven = true; break;
                    case "--quick": o.Quick = true; break;
                    case "--out": o.Out = Value(); break;
                    case "--ways": o.WaysToRun = Value(); break;
                    case "--profiles": o.Profiles = List(AllProfiles); break;
                    case "--overhead-ways": o.OverheadWays = List(AllOverheadWays); break;
                    case "--throttle-scale": o.ThrottleScale = Double(); break;
                    case "--latency-ms": o.LatencyMs = Int(); break;
                    case "--jitter-ms": o.JitterMs = Int(); break;
                    case "--dop": o.Dop = Int(); break;
                    case "--import-samples": o.ImportSamples = Int(); samplesGiven = true; break;
                    case "--overhead-users": o.OverheadUsers = Int(); break;
                    case "--overhead-rounds": o.OverheadRounds = Math.Max(1, Int()); break;
                    case "--memory-items": o.MemoryItems = Int(); memoryGiven = true; break;
                    case "--emulator": o.Emulator = Value(); break;
                    case "--module": o.Module = Value(); break;
                    case "--warm-with": o.WarmWith = Value(); break;
                    case "--timeout-factor": o.TimeoutFactor = Double(); break;
                    case "--way": o.Way = Value(); break;
                    case "--url": o.Url = Value(); break;
                    case "--token-file": o.TokenFile = Value(); break;
                    case "--ids-file": o.IdsFile = Value(); break;
                    case "--warmup": o.Warmup = Int(); break;
                    case "--reads": o.Reads = true; break;
                    case "--reads-users":
                        o.ReadsUsers = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            .Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 10 && n <= 1_000_000
                                ? n : throw new UsageException($"--reads-users takes tenant sizes from 10 to 1000000, not '{t}'")).ToArray();
                        break;
                    case "--reads-ways": o.ReadsWays = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                    case "--reads-way": o.ReadsWay = Value(); break;
                    case "--reads-what": o.ReadsWhat = Value(); break;
                    default: throw new UsageException($"unknown argument '{flag}'");
                }
            }
            if (o.Quick)
            {
                if (!usersGiven) o.Users = 200;
                if (!samplesGiven) o.ImportSamples = 3;
                o.OverheadUsers ??= 500;
                if (!memoryGiven) o.MemoryItems = 0;
            }
            if (o.Users < 1) throw new UsageException("--users must be at least 1");
            if (o.Out != null && !o.Reads && (o.Profiles.Length != AllProfiles.Length || o.OverheadWays.Length != AllOverheadWays.Length))
            {
                throw new UsageException("--out writes the whole report: run every profile and way for it (no --profiles, --overhead-ways)");
            }
            if (o.WaysToRun.Any(c => !"abcdef".Contains(c))) throw new UsageException("--ways takes letters from abcdef");
            return o;
        }
    }

    /// <summary>What a child saw, printed as its last stdout line.</summary>
    public sealed class WayResult
    {
        public string Way { get; set; } = "";
        public int Inputs { get; set; }
        public int Succeeded { get; set; }
        public int Failed { get; set; }
        /// <summary>Inputs with neither a result nor an error.</summary>
        public int Lost { get; set; }
        /// <summary>Results beyond one per input (a user answered twice).</summary>
        public int Extra { get; set; }
        public double WallSeconds { get; set; }
        public double SetupSeconds { get; set; }
        /// <summary>Time from the moment half the inputs had been answered to the end: the rate once the JIT has caught up.</summary>
        public double? SecondHalfSeconds { get; set; }
        public long PeakWorkingSetBytes { get; set; }
        public long WorkingSetAfterSetupBytes { get; set; }
        /// <summary>The process's CPU time (user and system, all threads) while the way ran: spinning waits show here, not in the wall time.</summary>
        public double CpuSeconds { get; set; }
        public double CpuSecondsAtStart { get; set; }
        public Dictionary<string, int> Errors { get; set; } = new Dictionary<string, int>();
        public string? Note { get; set; }
    }

    internal static class Proc
    {
        /// <summary>Runs a program to completion with a timeout; the output, or null if it failed to start.</summary>
        public static string? Capture(string file, params string[] arguments)
        {
            try
            {
                var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (string a in arguments) start.ArgumentList.Add(a);
                using Process p = Process.Start(start)!;
                Task<string> output = p.StandardOutput.ReadToEndAsync();
                _ = p.StandardError.ReadToEndAsync();
                if (!p.WaitForExit(10_000))
                {
                    p.Kill(entireProcessTree: true);
                    return null;
                }
                return output.Result;
            }
            catch (Exception)
            {
                return null;
            }
        }
    }
}
