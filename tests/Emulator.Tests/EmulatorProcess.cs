// Runs the graph-emulator program for one test and gives Microsoft's Graph client a way to reach it.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Emulator.Tests
{
    /// <summary>
    /// One emulator process per test, so tests that change the tenant never see each other's changes.
    /// The program is MGLICENSE_EMULATOR, else target/release/graph-emulator under the repository root.
    /// </summary>
    public sealed class EmulatorProcess : IDisposable
    {
        private readonly Process process;
        // Loopback only, never through a proxy a machine may have configured.
        private readonly HttpClient http = new HttpClient(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

        private EmulatorProcess(Process process, string url)
        {
            this.process = process;
            Url = url;
        }

        public string Url { get; }

        public string RepoRoot => FindRepoRoot();

        public static EmulatorProcess Start(string? seed = null, params string[] extraArguments)
        {
            string root = FindRepoRoot();
            string program = Environment.GetEnvironmentVariable("MGLICENSE_EMULATOR") is { Length: > 0 } configured
                ? configured
                : Path.Combine(root, "target", "release", OperatingSystem.IsWindows() ? "graph-emulator.exe" : "graph-emulator");
            if (!File.Exists(program))
            {
                throw new InvalidOperationException($"{program} is missing: build it with cargo build --release -p graph-emulator, or set MGLICENSE_EMULATOR.");
            }

            var start = new ProcessStartInfo(program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = root,
            };
            var arguments = new List<string>
            {
                "--users", seed ?? Path.Combine(root, "tests", "data", "tenant.json"),
                "--port", "0",
                "--exit-on-stdin-eof",
                "--seed", "1",
            };
            arguments.AddRange(extraArguments);
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            Process process = Process.Start(start) ?? throw new InvalidOperationException("graph-emulator did not start.");
            Task<string?> firstLine = process.StandardOutput.ReadLineAsync();
            if (!firstLine.Wait(TimeSpan.FromSeconds(30)) || string.IsNullOrWhiteSpace(firstLine.Result))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException("graph-emulator printed no URL: " + process.StandardError.ReadToEnd());
            }

            _ = process.StandardError.ReadToEndAsync();
            return new EmulatorProcess(process, firstLine.Result!.Trim());
        }

        /// <summary>Microsoft's client with its default middleware (retry, redirect), pointed at the emulator.</summary>
        public GraphServiceClient Client(string token, string version = "v1.0")
        {
            HttpClient httpClient = GraphClientFactory.Create(finalHandler: new HttpClientHandler { UseProxy = false });
            return new GraphServiceClient(httpClient, new StaticToken(token), $"{Url}/{version}");
        }

        public async Task<string> TokenAsync(params string[] roles)
        {
            JsonNode reply = await AdminAsync(HttpMethod.Post, "tokens", new JsonObject { ["roles"] = new JsonArray(Array.ConvertAll(roles, r => (JsonNode)JsonValue.Create(r)!)) });
            return reply["access_token"]!.GetValue<string>();
        }

        public async Task<string> TokenAsync(JsonObject request)
        {
            JsonNode reply = await AdminAsync(HttpMethod.Post, "tokens", request);
            return reply["access_token"]!.GetValue<string>();
        }

        public async Task<JsonNode> AdminAsync(HttpMethod method, string path, JsonNode? body = null)
        {
            using var request = new HttpRequestMessage(method, $"{Url}/_emulator/{path}");
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }

            using HttpResponseMessage response = await http.SendAsync(request);
            string text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{method} /_emulator/{path}: {(int)response.StatusCode} {text}");
            }

            return JsonNode.Parse(text)!;
        }

        public async Task<JsonArray> RequestsAsync() => (JsonArray)await AdminAsync(HttpMethod.Get, "requests");

        public void Dispose()
        {
            try
            {
                // --exit-on-stdin-eof: closing stdin stops it cleanly; kill only if it does not go.
                process.StandardInput.Close();
                if (!process.WaitForExit(5000))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
            http.Dispose();
        }

        internal static string FindRepoRoot()
        {
            string? directory = AppContext.BaseDirectory;
            while (directory is not null)
            {
                if (File.Exists(Path.Combine(directory, "Cargo.toml")) && Directory.Exists(Path.Combine(directory, "crates", "graph-emulator")))
                {
                    return directory;
                }

                directory = Path.GetDirectoryName(directory);
            }

            throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
        }

        /// <summary>Adds the emulator's minted token, as Azure.Identity would add a real one.</summary>
        private sealed class StaticToken : IAuthenticationProvider
        {
            private readonly string token;

            public StaticToken(string token) => this.token = token;

            public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
            {
                request.Headers.Remove("Authorization");
                request.Headers.Add("Authorization", $"Bearer {token}");
                return Task.CompletedTask;
            }
        }
    }
}
