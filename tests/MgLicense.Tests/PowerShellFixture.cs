// One Graph emulator and one process-wide MgLicense connection for all PowerShell tests, which therefore run one at a time in a single collection.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net.Http;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace MgLicense.Tests
{
    [CollectionDefinition(Name)]
    public sealed class PowerShellCollection : ICollectionFixture<PowerShellFixture>
    {
        // The engine's connection and environments are process-wide, so tests that connect and disconnect must not overlap.
        public const string Name = "PowerShell";
    }

    public sealed class PowerShellFixture : IDisposable
    {
        public const string EmulatorEnvironment = "Emulator";

        private readonly Process emulator;
        private readonly HttpClient http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        public PowerShellFixture()
        {
            Environment.SetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT", "1");
            Environment.SetEnvironmentVariable("PSModulePath", string.Empty);

            RepoRoot = FindRepoRoot();
            // What the module keeps for later sessions (environments, token caches) goes to a directory of this run's, not to the
            // profile of whoever runs the tests; the engine is created after this, on the first cmdlet.
            Environment.SetEnvironmentVariable("MGLICENSE_SETTINGS_DIRECTORY", settingsDirectory);
            ModuleManifest = Path.Combine(RepoRoot, "out", "MgLicense", "MgLicense.psd1");
            if (!File.Exists(ModuleManifest))
            {
                throw new InvalidOperationException($"{ModuleManifest} is missing: lay out the module first (build.ps1 or build.sh).");
            }

            string tenant = Path.Combine(RepoRoot, "tests", "data", "tenant.json");
            using (JsonDocument seed = JsonDocument.Parse(File.ReadAllText(tenant)))
            {
                Users = seed.RootElement.GetProperty("users").EnumerateArray().Select(u => u.Clone()).ToArray();
            }

            string program = Path.Combine(RepoRoot, "target", "release", OperatingSystem.IsWindows() ? "graph-emulator.exe" : "graph-emulator");
            if (!File.Exists(program))
            {
                throw new InvalidOperationException($"{program} is missing: build it with cargo build --release -p graph-emulator.");
            }

            var start = new ProcessStartInfo(program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = RepoRoot,
            };
            foreach (string argument in new[] { "--users", tenant, "--port", "0" })
            {
                start.ArgumentList.Add(argument);
            }

            emulator = Process.Start(start) ?? throw new InvalidOperationException("graph-emulator did not start.");
            Task<string?> firstLine = emulator.StandardOutput.ReadLineAsync();
            if (!firstLine.Wait(TimeSpan.FromSeconds(30)) || string.IsNullOrWhiteSpace(firstLine.Result))
            {
                emulator.Kill(entireProcessTree: true);
                throw new InvalidOperationException("graph-emulator printed no URL: " + emulator.StandardError.ReadToEnd());
            }

            EmulatorUrl = firstLine.Result!.Trim().TrimEnd('/');
            Drain(emulator.StandardOutput);
            Drain(emulator.StandardError);

            // Environments are process-wide in the engine: register the emulator's once for every test.
            using Session session = NewSession();
            RunResult added = session.Run(
                "Add-MgEnvironment -Name $name -GraphEndpoint $url -AzureADEndpoint $url",
                new Dictionary<string, object?> { ["name"] = EmulatorEnvironment, ["url"] = EmulatorUrl });
            added.ThrowIfFailed();
        }

        public string RepoRoot { get; }

        public string ModuleManifest { get; }

        public string EmulatorUrl { get; }

        /// <summary>The users seeded from tests/data/tenant.json, as the emulator serves them.</summary>
        public IReadOnlyList<JsonElement> Users { get; }

        public string UserId(int index) => Users[index].GetProperty("id").GetString()!;

        /// <summary>A runspace with the test host and MgLicense imported by full path, nothing else on PSModulePath.</summary>
        public Session NewSession() => new Session(ModuleManifest);

        public string MintToken(params string[] roles)
        {
            string body = JsonSerializer.Serialize(new { roles });
            using HttpResponseMessage response = http.PostAsync(EmulatorUrl + "/_emulator/tokens",
                new StringContent(body, Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
            string text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            Assert.True(response.IsSuccessStatusCode, $"minting a token failed: {(int)response.StatusCode} {text}");
            using JsonDocument document = JsonDocument.Parse(text);
            return document.RootElement.GetProperty("access_token").GetString()!;
        }

        /// <summary>Replaces the emulator's injected faults (graph-emulator's fault profile JSON); <c>{"rules":[]}</c> clears them.</summary>
        public void SetFaults(string profile) => Admin(HttpMethod.Put, "faults", profile);

        /// <summary>Calls the emulator's admin API (<c>/_emulator/&lt;path&gt;</c>) with a JSON body, asserts it succeeded and gives its answer.</summary>
        public string Admin(HttpMethod method, string path, string? json = null)
        {
            using var request = new HttpRequestMessage(method, EmulatorUrl + "/_emulator/" + path);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            using HttpResponseMessage response = http.Send(request);
            string text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            Assert.True(response.IsSuccessStatusCode, $"{method} /_emulator/{path} failed: {(int)response.StatusCode} {text}");
            return text;
        }

        /// <summary>Every Graph request the emulator received, oldest first.</summary>
        public IReadOnlyList<JsonElement> Requests()
        {
            string text = http.GetStringAsync(EmulatorUrl + "/_emulator/requests").GetAwaiter().GetResult();
            using JsonDocument document = JsonDocument.Parse(text);
            return document.RootElement.EnumerateArray().Select(r => r.Clone()).ToArray();
        }

        /// <summary>The Graph requests received while <paramref name="action"/> ran.</summary>
        public IReadOnlyList<JsonElement> RequestsDuring(Action action)
        {
            int before = Requests().Count;
            action();
            return Requests().Skip(before).ToArray();
        }

        public static SecureString Secure(string value)
        {
            var secure = new SecureString();
            foreach (char c in value)
            {
                secure.AppendChar(c);
            }

            secure.MakeReadOnly();
            return secure;
        }

        private readonly string settingsDirectory = Path.Combine(Path.GetTempPath(), "mglicense-host-tests-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            http.Dispose();
            try
            {
                Directory.Delete(settingsDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Nothing was kept, or it is in use; it is in the temporary directory either way.
            }

            try
            {
                if (!emulator.HasExited)
                {
                    emulator.Kill(entireProcessTree: true);
                    emulator.WaitForExit(10_000);
                }
            }
            finally
            {
                emulator.Dispose();
            }
        }

        private static void Drain(StreamReader reader)
        {
            // A full pipe would stall the emulator.
            _ = reader.BaseStream.CopyToAsync(Stream.Null);
        }

        private static string FindRepoRoot()
        {
            for (DirectoryInfo? dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Cargo.toml")) && Directory.Exists(Path.Combine(dir.FullName, "crates")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("No Cargo.toml above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>What a script produced: its output, its non-terminating errors, the terminating error that stopped it (if any), and its progress records.</summary>
    public sealed class RunResult
    {
        public RunResult(IReadOnlyList<PSObject> output, IReadOnlyList<ErrorRecord> errors, RuntimeException? terminating, PSDataStreams streams)
        {
            Output = output;
            Errors = errors;
            Terminating = terminating;
            Progress = streams.Progress.ToArray();
        }

        /// <summary>Write-Progress records, in the order written.</summary>
        public IReadOnlyList<ProgressRecord> Progress { get; }

        public IReadOnlyList<PSObject> Output { get; }

        public IReadOnlyList<ErrorRecord> Errors { get; }

        public RuntimeException? Terminating { get; }

        /// <summary>Every error a script saw, terminating or not.</summary>
        public IReadOnlyList<ErrorRecord> AllErrors =>
            Terminating is null ? Errors : Errors.Append(Terminating.ErrorRecord).ToArray();

        public void ThrowIfFailed()
        {
            if (AllErrors.Count > 0)
            {
                throw new InvalidOperationException("The script failed: " + string.Join("; ", AllErrors.Select(e => e.ToString())));
            }
        }
    }

    public sealed class Session : IDisposable
    {
        private readonly Runspace runspace;

        internal Session(string manifest)
        {
            Host = new TestHost();
            InitialSessionState state = InitialSessionState.CreateDefault2();
            runspace = RunspaceFactory.CreateRunspace(Host, state);
            runspace.Open();
            RunResult imported = Run("$env:PSModulePath = ''; Import-Module -Name $manifest -ErrorAction Stop",
                new Dictionary<string, object?> { ["manifest"] = manifest });
            imported.ThrowIfFailed();
        }

        public TestHost Host { get; }

        public TestHostUI Console => Host.Console;

        /// <summary>Runs a script the way a person types it; variables are set in the session first.</summary>
        /// <param name="during">Sees the pipeline before it runs, e.g. to act on its warnings as they come.</param>
        public RunResult Run(string script, IDictionary<string, object?>? variables = null, Action<PowerShell>? during = null)
        {
            using PowerShell shell = NewShell(script, variables);
            during?.Invoke(shell);
            var output = new List<PSObject>();
            RuntimeException? terminating = null;
            try
            {
                output.AddRange(shell.Invoke());
            }
            catch (RuntimeException e)
            {
                terminating = e;
            }

            return new RunResult(output, shell.Streams.Error.ToArray(), terminating, shell.Streams);
        }

        /// <summary>A pipeline for <paramref name="script"/> in this session, for tests that drive it themselves (BeginInvoke, Stop).</summary>
        public PowerShell NewShell(string script, IDictionary<string, object?>? variables = null)
        {
            if (variables is not null)
            {
                foreach (KeyValuePair<string, object?> variable in variables)
                {
                    runspace.SessionStateProxy.SetVariable(variable.Key, variable.Value);
                }
            }

            PowerShell shell = PowerShell.Create();
            shell.Runspace = runspace;
            shell.AddScript(script);
            return shell;
        }

        /// <summary>Connects the process to the emulator with <paramref name="token"/>.</summary>
        public RunResult Connect(string token) =>
            Run("Connect-MgGraph -AccessToken $token -Environment $environment -NoWelcome",
                new Dictionary<string, object?>
                {
                    ["token"] = PowerShellFixture.Secure(token),
                    ["environment"] = PowerShellFixture.EmulatorEnvironment,
                });

        public void Dispose() => runspace.Dispose();
    }

    internal static class StubGraphExtensions
    {
        /// <summary>Adds an environment for the stub and connects <paramref name="session"/> to it with <paramref name="token"/>.</summary>
        public static void Connect(this StubGraph stub, Session session, string token)
        {
            string environment = "Stub" + Guid.NewGuid().ToString("N");
            session.Run("Add-MgEnvironment -Name $name -GraphEndpoint $url -AzureADEndpoint $url",
                new Dictionary<string, object?> { ["name"] = environment, ["url"] = stub.Url }).ThrowIfFailed();
            session.Run("Connect-MgGraph -AccessToken $token -Environment $environment -NoWelcome",
                new Dictionary<string, object?>
                {
                    ["token"] = PowerShellFixture.Secure(token),
                    ["environment"] = environment,
                }).ThrowIfFailed();
        }
    }
}
