// Write-Progress for work that lasts: a single call waiting out a throttle, and a pipeline with its counts; both end their bar, and
// $ProgressPreference / -ProgressAction silence them.
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class ProgressTests
    {
        /// <summary>The first reprocess call is refused with 429 and a 2 s Retry-After, long enough for progress to show; the retry is served.</summary>
        private const string ThrottledOnce =
            """{"rules":[{"method":"POST","path":"/**/reprocessLicenseAssignment","failureRate":1,"statuses":[429],"count":1,"retryAfterSeconds":2}]}""";

        private readonly PowerShellFixture fixture;

        public ProgressTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private (RunResult Result, IReadOnlyList<JsonElement> Sent) RunThrottledOnce(string script, IDictionary<string, object?> variables)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            fixture.SetFaults(ThrottledOnce);
            try
            {
                RunResult result = null!;
                IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() => result = session.Run(script, variables));
                return (result, sent);
            }
            finally
            {
                fixture.SetFaults("""{"rules":[]}""");
            }
        }

        [Fact]
        public void ASingleCallWaitingOutAThrottleSaysSoAndEndsItsBar()
        {
            string id = fixture.UserId(0);
            (RunResult result, IReadOnlyList<JsonElement> sent) =
                RunThrottledOnce("Invoke-MgLicenseUser -UserId $id", new Dictionary<string, object?> { ["id"] = id });

            result.ThrowIfFailed();
            Assert.Equal(id, Assert.Single(result.Output).Properties["Id"].Value);
            Assert.Equal(new[] { 429, 200 }, sent.Select(r => r.GetProperty("status").GetInt32()));
            ProgressRecord waiting = result.Progress.First(p => p.CurrentOperation?.Contains("Throttled by Microsoft Graph: waiting") == true
                && p.RecordType == ProgressRecordType.Processing);
            Assert.StartsWith("Invoke-MgLicenseUser", waiting.Activity);
            Assert.Contains("1 retries", waiting.StatusDescription);
            Assert.Contains("Waiting for Microsoft Graph", waiting.StatusDescription);
            Assert.Equal(ProgressRecordType.Completed, result.Progress[^1].RecordType);
        }

        [Fact]
        public void APipelineWaitingOutAThrottleCountsWhatIsDoneAndEndsItsBar()
        {
            string[] ids = { fixture.UserId(0), fixture.UserId(1), fixture.UserId(2) };
            (RunResult result, IReadOnlyList<JsonElement> sent) =
                RunThrottledOnce("$ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser", new Dictionary<string, object?> { ["ids"] = ids });

            result.ThrowIfFailed();
            Assert.Equal(ids, result.Output.Select(o => (string)o.Properties["Id"].Value));
            Assert.Equal(1, sent.Count(r => r.GetProperty("status").GetInt32() == 429));
            Assert.Contains(result.Progress, p => p.RecordType == ProgressRecordType.Processing
                && p.StatusDescription.Contains(" done (") && p.StatusDescription.Contains("users/s")
                && p.CurrentOperation?.Contains("Throttled by Microsoft Graph: waiting") == true);
            Assert.Equal(ProgressRecordType.Completed, result.Progress[^1].RecordType);
        }

        [Fact]
        public void ARawCallWaitingOutAThrottleSaysSoAndEndsItsBar()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            fixture.SetFaults("""{"rules":[{"method":"POST","path":"/v1.0/$batch","failureRate":1,"statuses":[429],"count":1,"retryAfterSeconds":2}]}""");
            RunResult result;
            try
            {
                result = session.Run("Invoke-MgGraphRequest -Method POST -Uri 'v1.0/$batch' -Body @{ requests = @(@{ id = '1'; method = 'GET'; url = '/users?$top=1' }) }");
            }
            finally
            {
                fixture.SetFaults("""{"rules":[]}""");
            }

            result.ThrowIfFailed();
            Assert.Single(result.Output);
            ProgressRecord waiting = result.Progress.First(p => p.CurrentOperation?.Contains("Throttled by Microsoft Graph: waiting") == true
                && p.RecordType == ProgressRecordType.Processing);
            Assert.Equal("Invoke-MgGraphRequest", waiting.Activity);
            Assert.Contains("Waiting for Microsoft Graph (POST v1.0/$batch)", waiting.StatusDescription);
            Assert.Equal(ProgressRecordType.Completed, result.Progress[^1].RecordType);
        }

        [Theory]
        [InlineData("$ProgressPreference = 'SilentlyContinue'; Invoke-MgLicenseUser -UserId $id")]
        [InlineData("Invoke-MgLicenseUser -UserId $id -ProgressAction SilentlyContinue")]
        [InlineData("@{ UserId = $id } | Invoke-MgLicenseUser -ProgressAction SilentlyContinue")]
        public void ProgressPreferenceAndProgressActionSilenceIt(string script)
        {
            string id = fixture.UserId(1);
            (RunResult result, IReadOnlyList<JsonElement> sent) = RunThrottledOnce(script, new Dictionary<string, object?> { ["id"] = id });

            result.ThrowIfFailed();
            Assert.Equal(id, Assert.Single(result.Output).Properties["Id"].Value);
            Assert.Equal(new[] { 429, 200 }, sent.Select(r => r.GetProperty("status").GetInt32()));
            Assert.Empty(result.Progress);
        }
    }
}
