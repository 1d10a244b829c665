// Ctrl+C (PowerShell.Stop) must reach a request that Graph never answers, instead of leaving the console hung.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
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

        [Fact]
        public void StopEndsARequestThatIsNeverAnswered()
        {
            // A loopback endpoint that accepts connections and never answers: the request can only end by being cancelled.
            using var silent = new TcpListener(IPAddress.Loopback, 0);
            silent.Start();
            string url = "http://127.0.0.1:" + ((IPEndPoint)silent.LocalEndpoint).Port;
            var held = new List<TcpClient>();
            using var accepted = new ManualResetEventSlim();
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        TcpClient client = await silent.AcceptTcpClientAsync().ConfigureAwait(false);
                        lock (held)
                        {
                            held.Add(client);
                        }

                        accepted.Set();
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // The listener was stopped at the end of the test.
                }
            });

            using Session session = fixture.NewSession();
            string environment = "Silent" + Guid.NewGuid().ToString("N");
            session.Run("Add-MgEnvironment -Name $name -GraphEndpoint $url -AzureADEndpoint $url",
                new Dictionary<string, object?> { ["name"] = environment, ["url"] = url }).ThrowIfFailed();
            session.Run("Connect-MgGraph -AccessToken $token -Environment $environment -NoWelcome",
                new Dictionary<string, object?>
                {
                    ["token"] = PowerShellFixture.Secure(fixture.MintToken("User.ReadWrite.All")),
                    ["environment"] = environment,
                }).ThrowIfFailed();

            PowerShell shell = session.NewShell("Invoke-MgLicenseUser -UserId $id",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });
            try
            {
                IAsyncResult running = shell.BeginInvoke();
                Assert.True(accepted.Wait(TimeSpan.FromSeconds(60)), "the request never reached the silent endpoint");

                // BeginStop, not Stop: a Stop that never reaches the request would hang the test run instead of failing it.
                shell.BeginStop(null, null);

                Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "the pipeline did not stop");
                Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
                Assert.Empty(shell.Streams.Error);
            }
            finally
            {
                // Closing the connections first ends a request that ignored the stop, so a failure cannot hang the run.
                silent.Stop();
                lock (held)
                {
                    held.ForEach(c => c.Dispose());
                }

                shell.Dispose();
                session.Run("Disconnect-MgGraph -ErrorAction SilentlyContinue");
            }
        }
    }
}
