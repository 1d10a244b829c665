// What each reprocess cmdlet writes: beta users with the beta SDK's type name and the same table, $true only with -PassThru for the call without content.
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class OutputTests
    {
        private readonly PowerShellFixture fixture;

        public OutputTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser", "Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser")]
        [InlineData("Invoke-MgBetaLicenseUser", "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser")]
        [InlineData("Invoke-MgBetaLicenseUser2", "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser")]
        public void UsersAreWrittenWithTheSdkTypeNameAndShownAsTheSdkTable(string cmdlet, string typeName)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string id = fixture.UserId(0);

            RunResult result = session.Run($"$u = {cmdlet} -UserId $id; $u; $u | Out-Host", new Dictionary<string, object?> { ["id"] = id });

            result.ThrowIfFailed();
            PSObject user = Assert.Single(result.Output);
            Assert.Equal(typeName, user.TypeNames[0]);
            Assert.Equal(id, user.Properties["Id"].Value);
            Assert.Equal(fixture.User(0).GetProperty("userPrincipalName").GetString(), user.Properties["UserPrincipalName"].Value);
            // The table's headings (the test console is narrow, so UserPrincipalName may wrap), then a row with the user.
            string[] shown = session.Console.Lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l, "\x1b\\[[0-9;]*m", string.Empty)).ToArray();
            string heading = shown.First(l => l.Trim().Length > 0);
            Assert.Matches(@"^DisplayName\s+Id\s+Mail\s+User", heading);
            Assert.Contains(session.Console.Lines, l => l.Contains(id));
        }

        [Fact]
        public void CloudLicensingWritesNothingWithoutPassThruAndTrueWithIt()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run(
                "$plain = @(Invoke-MgBetaReprocessUserCloudLicensingAssignment -UserId $a); $plain.Count; " +
                "$a, $b | Invoke-MgBetaReprocessUserCloudLicensingAssignment -PassThru",
                new Dictionary<string, object?> { ["a"] = fixture.UserId(0), ["b"] = fixture.UserId(1) });

            result.ThrowIfFailed();
            Assert.Equal(new object[] { 0, true, true }, result.Output.Select(o => o.BaseObject));
        }

        [Theory]
        [InlineData("Get-MgGroup -All", @"^DisplayName\s+Id\s+MailNickname\s+Description\s+GroupTypes\s*$", "c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f")]
        [InlineData("Get-MgSubscribedSku -All", @"^AppliesTo\s+CapabilityStatus\s+ConsumedUnits\s+Id\s+SkuId\s+SkuPartNumber\s+SubscriptionIds\s*$", "POWER_BI_PRO")]
        [InlineData("Get-MgGroupMemberWithLicenseError -GroupId c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f -All", @"^Id\s+DeletedDateTime\s*$", "6e7b768e-07e2-4810-8459-485f84f8f204")]
        public void ReadsAreShownAsTheOfficialTables(string read, string heading, string shownInARow)
        {
            // A console wide enough for the seven columns of the SKU table, which 80 columns would cut.
            using Session session = fixture.NewSession(width: 250);
            session.Connect(fixture.MintToken("Directory.Read.All")).ThrowIfFailed();

            RunResult result = session.Run(read + " | Out-Host");

            result.ThrowIfFailed();
            string[] lines = session.Console.Lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l, "\x1b\\[[0-9;]*m", string.Empty)).ToArray();
            Assert.Matches(heading, lines.First(l => l.Trim().Length > 0));
            Assert.Contains(lines, l => l.Contains(shownInARow));
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser -UserId $id")]
        [InlineData("Invoke-MgBetaLicenseUser -UserId $id")]
        [InlineData("Invoke-MgBetaLicenseUser2 -UserId $id")]
        [InlineData("Get-MgUser -UserId $id")]
        public void AUserCmdletWritesNothingForA200WithoutBody(string call)
        {
            // The emulator always answers these calls with the user, so a stub gives the empty answer.
            using var empty = new StubGraph(
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nrequest-id: 5d0c7f3e-0000-4000-8000-000000000200\r\n\r\n");
            using Session session = fixture.NewSession();
            empty.Connect(session, fixture.MintToken("User.ReadWrite.All"));
            try
            {
                RunResult result = session.Run($"{call} -RHV rh; $rh['request-id']", new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });

                Assert.Empty(result.AllErrors);
                Assert.Empty(result.Warnings);
                // Only the headers, which say the call succeeded; no user, not even an empty one.
                Assert.Equal(new object[] { "5d0c7f3e-0000-4000-8000-000000000200" }, result.Output.Select(o => o.BaseObject));
                Assert.Equal(1, empty.Requests);
            }
            finally
            {
                session.Run("Disconnect-MgGraph -ErrorAction SilentlyContinue");
            }
        }
    }
}
