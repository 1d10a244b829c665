// The machine the numbers came from, and what else was keeping it busy.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace MgLicense.Bench
{
    public sealed class Machine
    {
        public string Cpu { get; set; } = "unknown";
        public int Cores { get; set; }
        public string Memory { get; set; } = "unknown";
        public string Os { get; set; } = "unknown";
        public string Runtime { get; set; } = "";
        public string LoadAtStart { get; set; } = "";

        /// <summary>
        /// How the PowerShell engine in this process is compiled. pwsh as released is ReadyToRun-compiled (its build
        /// publishes with PublishReadyToRun); the System.Management.Automation NuGet package is IL only, so a host built
        /// from it JIT-compiles the engine's code at first use, which short runs and cold imports pay for.
        /// </summary>
        public string PowerShellEngine { get; set; } = "unknown";

        /// <summary>Whether the CPU's L3 cache is large: .NET sizes its gen0 budget from it, which shows in peak memory.</summary>
        public string Cache { get; set; } = "unknown";
        public List<string> BusiestProcesses { get; set; } = new List<string>();

        public static Machine Describe()
        {
            var m = new Machine
            {
                Cores = Environment.ProcessorCount,
                Runtime = $".NET {Environment.Version}, {RuntimeInformation.ProcessArchitecture}",
                LoadAtStart = LoadAverage(),
            };
            m.Cpu = ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
            string? total = ReadField("/proc/meminfo", "MemTotal");
            if (total != null && long.TryParse(total.Split(' ')[0], out long kb)) m.Memory = $"{kb / 1048576.0:0.0} GiB";
            string? pretty = File.Exists("/etc/os-release")
                ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME="))?.Split('=', 2)[1].Trim('"')
                : null;
            m.Os = (pretty ?? RuntimeInformation.OSDescription) + ", kernel " + Environment.OSVersion.Version;
            m.BusiestProcesses = Busiest();
            m.PowerShellEngine = EngineCompilation();
            m.Cache = CacheSizes();
            return m;
        }

        public IEnumerable<string> Lines()
        {
            yield return $"CPU      {Cpu}, {Cores} logical cores";
            yield return $"memory   {Memory}";
            yield return $"OS       {Os}; {Runtime}";
            yield return $"caches   {Cache}";
            yield return $"engine   {PowerShellEngine}";
            yield return $"load     {LoadAtStart} (1, 5, 15 min) at the start";
            if (BusiestProcesses.Count > 0) yield return "busiest  " + string.Join("; ", BusiestProcesses);
        }

        /// <summary>True when an assembly carries ReadyToRun native code (a managed native header in its CLI header).</summary>
        public static bool IsReadyToRun(string path)
        {
            using var stream = File.OpenRead(path);
            using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
            return pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
        }

        private static string EngineCompilation()
        {
            try
            {
                var sma = typeof(System.Management.Automation.PSObject).Assembly;
                string version = sma.GetName().Version?.ToString() ?? "?";
                return $"System.Management.Automation {version}, " + (IsReadyToRun(sma.Location)
                    ? "ReadyToRun-compiled, as pwsh is released"
                    : "IL only (JIT-compiled at first use; pwsh as released is ReadyToRun: run bench/run.sh)");
            }
            catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException)
            {
                return "unknown: " + e.Message;
            }
        }

        private static string CacheSizes()
        {
            var sizes = new List<string>();
            try
            {
                foreach (string dir in Directory.GetDirectories("/sys/devices/system/cpu/cpu0/cache", "index*").OrderBy(d => d))
                {
                    string level = File.ReadAllText(Path.Combine(dir, "level")).Trim();
                    string type = File.ReadAllText(Path.Combine(dir, "type")).Trim();
                    string size = File.ReadAllText(Path.Combine(dir, "size")).Trim();
                    if (type != "Instruction") sizes.Add($"L{level} {size}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            return sizes.Count > 0 ? string.Join(", ", sizes) : "unknown";
        }

        public static string LoadAverage()
        {
            try
            {
                return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
            }
            catch (IOException)
            {
                return "unknown";
            }
        }

        private static string? ReadField(string file, string name)
        {
            if (!File.Exists(file)) return null;
            string? line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim();
        }

        /// <summary>Other processes using the CPU right now (one top snapshot), so readers know what shared the cores.</summary>
        private static List<string> Busiest()
        {
            string? top = Proc.Capture("top", "-b", "-n", "2", "-d", "0.5", "-o", "%CPU");
            if (top == null) return new List<string>();
            // The second snapshot measures the last half second; the first is averaged since boot.
            string[] lines = top.Split('\n');
            int header = Array.FindLastIndex(lines, l => l.TrimStart().StartsWith("PID"));
            if (header < 0) return new List<string>();
            string[] columns = lines[header].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int cpu = Array.IndexOf(columns, "%CPU"), command = Array.IndexOf(columns, "COMMAND");
            var busy = new List<string>();
            foreach (string line in lines.Skip(header + 1))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length <= Math.Max(cpu, command) || !double.TryParse(f[cpu], System.Globalization.NumberStyles.Float,
                        System.Globalization.CultureInfo.InvariantCulture, out double pct) || pct < 5) continue;
                if (f[command] == "top") continue;
                busy.Add($"{f[command]} {pct:0}%");
                if (busy.Count == 6) break;
            }
            return busy;
        }
    }
}
