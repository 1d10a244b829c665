// tools/MgLicenseHost (mglhost), the console host build.sh runs build.ps1 with where pwsh is missing: its exit codes, its streams, and -Confirm answered from standard input, as a build script relies on them.
using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class HostTests
    {
        private readonly PowerShellFixture fixture;

        public HostTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private sealed record Run(int ExitCode, string Out, string Err);

        /// <summary>Runs out/host/mglhost with the arguments, feeding <paramref name="input"/> to standard input and then closing it.</summary>
        private Run Host(string input, params string[] arguments)
        {
            string dll = Path.Combine(fixture.RepoRoot, "out", "host", "mglhost.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: build the host (./build.sh build) first");
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(dll);
            info.ArgumentList.Add("-NoProfile");
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(input);
            process.StandardInput.Close();
            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("mglhost " + string.Join(' ', arguments) + " did not finish");
            }

            return new Run(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }

        [Fact]
        public void ExitCodesFollowTheScript()
        {
            Assert.Equal(0, Host("", "-Command", "'fine'").ExitCode);
            Assert.Equal(1, Host("", "-Command", "exit 1").ExitCode);
            Assert.Equal(7, Host("", "-Command", "exit 7").ExitCode);

            Run thrown = Host("", "-Command", "throw 'the build broke'; 'never'");
            Assert.Equal(1, thrown.ExitCode);
            Assert.Contains("the build broke", thrown.Err);
            Assert.DoesNotContain("never", thrown.Out);
        }

        [Fact]
        public void OutputIsFormattedAndErrorsGoToStandardError()
        {
            Run run = Host("", "-Command",
                "function Say { [CmdletBinding()] param() $PSCmdlet.WriteWarning('careful') }; " +
                "[pscustomobject]@{ SkuPartNumber = 'ENTERPRISEPACK'; ConsumedUnits = 3 }; Get-Command Get-NoSuchThing; Say");
            Assert.Matches(@"SkuPartNumber\s+ConsumedUnits", run.Out);
            Assert.Matches(@"ENTERPRISEPACK\s+3", run.Out);
            Assert.Contains("Get-NoSuchThing", run.Err);
            Assert.DoesNotContain("Get-NoSuchThing", run.Out);
            Assert.Contains("careful", run.Out + run.Err);
        }

        [Theory]
        [InlineData("Y\n", "reprocessed")]
        [InlineData("N\n", "skipped")]
        public void ConfirmIsAnsweredFromStandardInput(string answer, string expected)
        {
            const string script =
                "function Invoke-Reprocess { [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')] param() " +
                "if ($PSCmdlet.ShouldProcess('adele@contoso.example', 'Reprocess')) { 'reprocessed' } else { 'skipped' } }; Invoke-Reprocess";
            Run run = Host(answer, "-Command", script);
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("adele@contoso.example", run.Out);
            Assert.Contains(expected, run.Out);
        }

        [Fact]
        public void TheSmokeScriptPassesWithArgumentsFromTheCommandLine()
        {
            string smoke = Path.Combine(fixture.RepoRoot, "tools", "MgLicenseHost", "smoke.ps1");
            Run run = Host("y\n", "-File", smoke, "-Name", "Contoso", "-Prompt");
            Assert.True(run.ExitCode == 0, $"smoke.ps1 exited {run.ExitCode}:\n{run.Out}\n{run.Err}");
            Assert.Contains("-Name bound by name from the command line (got 'Contoso')", run.Out);
            Assert.Contains("reprocessed adele@contoso.example", run.Out);
            Assert.Contains("all checks passed", run.Out);
            Assert.DoesNotContain("FAIL", run.Out + run.Err);
        }
    }
}
