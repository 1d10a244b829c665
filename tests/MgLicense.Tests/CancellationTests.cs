// Ctrl+C (PowerShell.Stop) must reach a request that Graph never answers, for each reprocess cmdlet: the console comes back within seconds and nothing is written for the call.
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
            // A loopback endpoint that accepts connections and never answers: the request can only end by being cancelled.
            using var silent = new StubGraph((string?)null);
            using Session session = fixture.NewSession();
            silent.Connect(session, fixture.MintToken("User.ReadWrite.All"));

            // -PassThru on the call without content, so that every cmdlet would have something to write if it were answered.
            string passThru = cmdlet == "Invoke-MgBetaReprocessUserCloudLicensingAssignment" ? " -PassThru" : string.Empty;
            PowerShell shell = session.NewShell($"{cmdlet} -UserId $id{passThru}",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });
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
