// Ctrl+C (PowerShell.Stop) must reach a request that Graph never answers, for each reprocess cmdlet and for piped input: the console comes back within seconds and nothing is written for the call.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class CancellationTests
    {
        private readonly PowerShellFixture fixture;

        public CancellationTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        /// <summary>Stop must end the call well within this; the test waits longer, so that a slow stop fails instead of hanging.</summary>
        private static readonly TimeSpan PromptStop = TimeSpan.FromSeconds(10);

        [Theory]
        [InlineData("Invoke-MgLicenseUser")]
        [InlineData("Invoke-MgBetaLicenseUser")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment")]
        [InlineData("Invoke-MgBetaLicenseUser2")]
        public void StopEndsARequestThatIsNeverAnsweredPromptlyAndWritesNothing(string cmdlet)
        {
            // -PassThru on the call without content, so that every cmdlet would have something to write if it were answered.
            string passThru = cmdlet == "Invoke-MgBetaReprocessUserCloudLicensingAssignment" ? " -PassThru" : string.Empty;
            StopsPromptlyAndWritesNothing($"{cmdlet} -UserId $id{passThru}", new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });
        }

        /// <summary>Invoke-MgGraphRequest's raw calls stop the same way, a read as a write, a download to a file included.</summary>
        [Theory]
        [InlineData("Invoke-MgGraphRequest -Uri \"v1.0/users/$id\"")]
        [InlineData("Invoke-MgGraphRequest -Method POST -Uri 'v1.0/$batch' -Body @{ requests = @() }")]
        [InlineData("Invoke-MgGraphRequest -Uri \"v1.0/users/$id\" -OutputFilePath $file")]
        public void StopEndsARawCallThatIsNeverAnsweredPromptlyAndWritesNothing(string command)
        {
            string file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mglicense-stop-{Guid.NewGuid():N}.json");
            StopsPromptlyAndWritesNothing(command, new Dictionary<string, object?> { ["id"] = fixture.UserId(0), ["file"] = file });
            Assert.False(System.IO.File.Exists(file), "a stopped download leaves no file");
        }

        /// <summary>Piped input runs as a bulk run with several requests in flight: a stop must end all of them, queued ones included.</summary>
        [Theory]
        [InlineData("Invoke-MgLicenseUser")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment -PassThru")]
        [InlineData("Invoke-MgLicenseUser -ThrottleLimit 2")]
        [InlineData("Invoke-MgLicenseUser -BatchSize 3")]
        public void StopEndsAPipelineWhoseRequestsAreNeverAnsweredPromptlyAndWritesNothing(string command)
        {
            string[] ids = { fixture.UserId(0), fixture.UserId(1), fixture.UserId(2), fixture.UserId(3), fixture.UserId(4) };
            StopsPromptlyAndWritesNothing($"$ids | ForEach-Object {{ @{{ UserId = $_ }} }} | {command}", new Dictionary<string, object?> { ["ids"] = ids });
        }

        /// <summary>
        /// -ErrorAction Stop on piped input: the first error in input order ends the pipeline, nothing after it is written, and the
        /// calls still queued behind the ones in flight are never sent.
        /// </summary>
        [Fact]
        public void ErrorActionStopEndsAPipelineAtItsFirstErrorAndSendsNoMore()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            var ids = new List<string> { "00000000-0000-0000-0000-00000000dead" };
            for (int i = 0; i < 30; i++)
            {
                ids.Add(fixture.UserId(i % fixture.Users.Count));
            }

            // Slow answers, so the unknown user's 404 comes while the next calls are in flight and the rest still queued.
            fixture.SetFaults("""{"rules":[{"method":"POST","path":"/v1.0/users/*/reprocessLicenseAssignment","latencyMs":300}]}""");
            RunResult result = null!;
            IReadOnlyList<System.Text.Json.JsonElement> sent;
            try
            {
                sent = fixture.RequestsDuring(() =>
                {
                    result = session.Run("$ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser -ThrottleLimit 4 -ErrorAction Stop; 'not reached'",
                        new Dictionary<string, object?> { ["ids"] = ids.ToArray() });
                    // Calls the stop abandoned in flight are logged when the emulator ends them; none may start after it.
                    System.Threading.Thread.Sleep(TimeSpan.FromSeconds(1));
                });
            }
            finally
            {
                fixture.SetFaults("""{"rules":[]}""");
            }

            Assert.NotNull(result.Terminating);
            // Identity objects from the pipeline bind -InputObject: the official variant is LicenseViaIdentity.
            Assert.Equal("Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_LicenseViaIdentity", result.Terminating!.ErrorRecord.FullyQualifiedErrorId);
            Assert.Empty(result.Output);
            Assert.True(sent.Count < ids.Count, $"{sent.Count} of {ids.Count} calls were sent after the first one failed");
            Assert.Contains(sent, r => r.GetProperty("path").GetString() == $"/v1.0/users/{ids[0]}/reprocessLicenseAssignment");
        }

        private void StopsPromptlyAndWritesNothing(string script, IDictionary<string, object?> variables)
        {
            // A loopback endpoint that accepts connections and never answers: the requests can only end by being cancelled.
            using var silent = new StubGraph((string?)null);
            using Session session = fixture.NewSession();
            silent.Connect(session, fixture.MintToken("User.ReadWrite.All"));

            PowerShell shell = session.NewShell(script, variables);
            var output = new PSDataCollection<PSObject>();
            try
            {
                IAsyncResult running = shell.BeginInvoke<PSObject, PSObject>(null, output);
                Assert.True(silent.WaitForConnection(TimeSpan.FromSeconds(60)), "the request never reached the silent endpoint");

                // BeginStop, not Stop: a Stop that never reaches the request would hang the test run instead of failing it.
                var stopping = Stopwatch.StartNew();
                shell.BeginStop(null, null);

                Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "the pipeline did not stop");
                TimeSpan took = stopping.Elapsed;
                Assert.True(took < PromptStop, $"stopping took {took.TotalSeconds:0.0} s");
                Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
                Assert.Empty(output);
                Assert.Empty(shell.Streams.Error);
                Assert.Empty(shell.Streams.Warning);
            }
            finally
            {
                // Closing the connections first ends a request that ignored the stop, so a failure cannot hang the run.
                silent.Dispose();
                shell.Dispose();
                output.Dispose();
                session.Run("Disconnect-MgGraph -ErrorAction SilentlyContinue");
            }
        }
    }
}
