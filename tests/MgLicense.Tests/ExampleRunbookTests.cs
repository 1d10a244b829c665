// The runbooks in examples/ run unchanged against the sample tenant, and are checked by what the tenant looks like afterwards: who was reprocessed, exactly once.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class ExampleRunbookTests
    {
        private static readonly HttpClient Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        private readonly PowerShellFixture fixture;

        public ExampleRunbookTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private string Example(string name) => Path.Combine(fixture.RepoRoot, "examples", name);

        /// <summary>Every user's reprocess count, from the emulator's admin view.</summary>
        private Dictionary<string, long> ReprocessCounts()
        {
            string text = Http.GetStringAsync(fixture.EmulatorUrl + "/_emulator/users").GetAwaiter().GetResult();
            using JsonDocument document = JsonDocument.Parse(text);
            JsonElement root = document.RootElement;
            IEnumerable<JsonElement> users = root.GetProperty("value").EnumerateArray();
            return users.ToDictionary(u => u.GetProperty("id").GetString()!, u => u.GetProperty("reprocessCount").GetInt64());
        }

        /// <summary>Runs an example as a runbook would after Connect-MgGraph, and gives the lines it printed and who was reprocessed how often.</summary>
        private (IReadOnlyList<string> Lines, Dictionary<string, long> Reprocessed, RunResult Result) Run(string token, string script, IDictionary<string, object?>? variables = null)
        {
            using Session session = fixture.NewSession();
            session.Connect(token).ThrowIfFailed();
            Dictionary<string, long> before = ReprocessCounts();
            RunResult result = session.Run(script, variables);
            result.ThrowIfFailed();
            Dictionary<string, long> after = ReprocessCounts();
            var delta = after.Where(p => p.Value != before.GetValueOrDefault(p.Key)).ToDictionary(p => p.Key, p => p.Value - before.GetValueOrDefault(p.Key));
            return (session.Console.Lines, delta, result);
        }

        private string Token() => fixture.MintToken("User.ReadWrite.All", "Directory.Read.All");

        [Fact]
        public void GroupMembersWithErrorsAreReprocessedOnceEachAndChecked()
        {
            string token = Token();
            List<string> groups = fixture.GraphList(token, "/v1.0/groups?$filter=hasMembersWithLicenseErrors%20eq%20true").Select(g => g.GetProperty("id").GetString()!).ToList();
            HashSet<string> members = groups.SelectMany(g => fixture.GraphList(token, $"/v1.0/groups/{g}/membersWithLicenseErrors")).Select(m => m.GetProperty("id").GetString()!).ToHashSet();
            Assert.NotEmpty(members);

            (IReadOnlyList<string> lines, Dictionary<string, long> reprocessed, _) = Run(token, "& $path -SettleSeconds 0", new Dictionary<string, object?> { ["path"] = Example("Repair-GroupLicenseErrors.ps1") });

            Assert.Equal(members.OrderBy(m => m), reprocessed.Keys.OrderBy(k => k));
            Assert.All(reprocessed.Values, n => Assert.Equal(1, n));
            string summary = string.Join("\n", lines);
            Assert.Contains($"{members.Count} reprocessed, 0 failed", summary);
            // Nothing in the sample tenant fixes these users' causes, so the check after reprocessing finds them still in error.
            Assert.Contains($"{members.Count} still in error", summary);
        }

        [Fact]
        public void UpnsAreLookedUpThenReprocessedAndAMissingOneIsSkipped()
        {
            string token = Token();
            string[] upns = { "AdeleV@contoso.com", "patrick.o'brien@contoso.com", "nobody@contoso.com" };
            (IReadOnlyList<string> lines, Dictionary<string, long> reprocessed, _) = Run(token, "& $path -UserPrincipalName $upns",
                new Dictionary<string, object?> { ["path"] = Example("Invoke-ReprocessByUpn.ps1"), ["upns"] = upns });

            string[] expected = fixture.Users.Where(u => upns.Contains(u.GetProperty("userPrincipalName").GetString())).Select(u => u.GetProperty("id").GetString()!).OrderBy(i => i).ToArray();
            Assert.Equal(2, expected.Length);
            Assert.Equal(expected, reprocessed.Keys.OrderBy(k => k));
            Assert.All(reprocessed.Values, n => Assert.Equal(1, n));
            Assert.Contains("2 reprocessed, 1 not found, 0 failed", string.Join("\n", lines));
        }

        [Fact]
        public void EveryLicensedUserIsReprocessedOnceAndCounted()
        {
            string token = Token();
            List<string> licensed = fixture.GraphList(token, "/v1.0/users?$select=id,assignedLicenses")
                .Where(u => u.GetProperty("assignedLicenses").GetArrayLength() > 0)
                .Select(u => u.GetProperty("id").GetString()!).ToList();
            Assert.NotEmpty(licensed);

            (IReadOnlyList<string> lines, Dictionary<string, long> reprocessed, _) = Run(token, "& $path", new Dictionary<string, object?> { ["path"] = Example("Invoke-ReprocessLicensedUsers.ps1") });

            Assert.Equal(licensed.OrderBy(i => i), reprocessed.Keys.OrderBy(k => k));
            Assert.All(reprocessed.Values, n => Assert.Equal(1, n));
            string output = string.Join("\n", lines);
            Assert.Contains($"{licensed.Count} licensed users", output);
            Assert.Contains($"{licensed.Count} reprocessed, 0 failed", output);
        }

        [Fact]
        public void TheOneLinerReprocessesAndWaitsForEveryMemberInError()
        {
            string token = Token();
            List<List<JsonElement>> perGroup = fixture.GraphList(token, "/v1.0/groups?$filter=hasMembersWithLicenseErrors%20eq%20true")
                .Select(g => fixture.GraphList(token, $"/v1.0/groups/{g.GetProperty("id").GetString()}/membersWithLicenseErrors")).ToList();
            List<JsonElement> members = perGroup.SelectMany(m => m).ToList();

            (_, Dictionary<string, long> reprocessed, RunResult result) = Run(token,
                "Get-MgGroup -Filter \"hasMembersWithLicenseErrors eq true\" -All | ForEach-Object { Get-MgGroupMemberWithLicenseError -GroupId $_.Id -All } | Invoke-MgLicenseUser -Wait -TimeoutSec 1");

            // One reprocess per member per group (a user in two such groups is reprocessed twice), one user written for each.
            Assert.Equal(members.Count, result.Output.Count);
            Assert.Equal(
                members.GroupBy(m => m.GetProperty("id").GetString()!).ToDictionary(g => g.Key, g => (long)g.Count()).OrderBy(p => p.Key),
                reprocessed.OrderBy(p => p.Key));
            Assert.All(result.Output, u => Assert.NotNull(u.Properties["LicenseAssignmentStates"]?.Value));
            // Nothing fixed their causes: each member is named in a warning about a license still in error.
            Assert.All(members, m => Assert.Contains(result.Warnings, w => w.Contains(m.GetProperty("userPrincipalName").GetString()!) && w.Contains(" with ")));
        }
    }
}
