// Get-MgUser, Get-MgGroup, Get-MgGroupMemberWithLicenseError and Get-MgSubscribedSku against the emulator: what goes on the wire, what comes out, paging, counts, errors, and the runbook one-liner.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class ReadCmdletTests
    {
        private readonly PowerShellFixture fixture;

        public ReadCmdletTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private string Token() => fixture.MintToken("User.ReadWrite.All", "Directory.ReadWrite.All");

        private Session Connected(out string token)
        {
            token = Token();
            Session session = fixture.NewSession();
            session.Connect(token).ThrowIfFailed();
            return session;
        }

        private static string? Prop(PSObject o, string name) => o.Properties[name]?.Value?.ToString();

        private static IEnumerable<string> Queries(IEnumerable<JsonElement> requests) =>
            requests.Select(r => r.TryGetProperty("query", out JsonElement q) && q.ValueKind == JsonValueKind.String ? q.GetString()! : string.Empty);

        [Fact]
        public void AllPagesOfUsersComeAsTheOfficialModelInGraphsOrder()
        {
            using Session session = Connected(out string token);
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() => result = session.Run("Get-MgUser -All -PageSize 3"));
            result.ThrowIfFailed();
            List<JsonElement> expected = fixture.GraphList(token, "/v1.0/users");
            Assert.Equal(expected.Select(u => u.GetProperty("id").GetString()), result.Output.Select(o => Prop(o, "Id")));
            Assert.Equal(expected.Select(u => u.GetProperty("userPrincipalName").GetString()), result.Output.Select(o => Prop(o, "UserPrincipalName")));
            PSObject first = result.Output[0];
            Assert.Equal("Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser", first.TypeNames[0]);
            Assert.NotNull(first.Properties["AdditionalProperties"]);
            int pages = (expected.Count + 2) / 3;
            Assert.Equal(pages, requests.Count);
            Assert.Equal("$top=3", Queries(requests).First());
            Assert.All(Queries(requests).Skip(1), q => Assert.Contains("$skiptoken=", q));
        }

        [Fact]
        public void WithoutAllOnlyTheFirstPageIsReadAndTopStopsAtItsCount()
        {
            using Session session = Connected(out _);
            RunResult firstPage = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() => firstPage = session.Run("Get-MgUser -PageSize 2"));
            firstPage.ThrowIfFailed();
            Assert.Equal(2, firstPage.Output.Count);
            Assert.Single(requests);

            RunResult top = null!;
            requests = fixture.RequestsDuring(() => top = session.Run("Get-MgUser -Top 5 -PageSize 2"));
            top.ThrowIfFailed();
            Assert.Equal(5, top.Output.Count);
            Assert.Equal(3, requests.Count);
        }

        [Fact]
        public void OneUserWithTheLicenseStatesAskedForAsTheRunbooksReadThem()
        {
            using Session session = Connected(out _);
            string upn = fixture.User(0).GetProperty("userPrincipalName").GetString()!;
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                result = session.Run("Get-MgUser -UserId $upn -Property id, licenseAssignmentStates", new Dictionary<string, object?> { ["upn"] = upn }));
            result.ThrowIfFailed();
            PSObject user = Assert.Single(result.Output);
            Assert.Equal(fixture.UserId(0), Prop(user, "Id"));
            var states = (object[])user.Properties["LicenseAssignmentStates"].Value;
            Assert.NotEmpty(states);
            var state = PSObject.AsPSObject(states[0]);
            Assert.NotNull(state.Properties["SkuId"]?.Value);
            Assert.NotNull(state.Properties["State"]?.Value);
            JsonElement request = Assert.Single(requests);
            Assert.Equal("/v1.0/users/" + upn, request.GetProperty("path").GetString());
            Assert.Equal("$select=id%2ClicenseAssignmentStates", request.GetProperty("query").GetString());
        }

        [Fact]
        public void AFilterByUserPrincipalNameFindsThatUser()
        {
            using Session session = Connected(out _);
            string upn = fixture.User(1).GetProperty("userPrincipalName").GetString()!;
            RunResult result = session.Run("Get-MgUser -Filter \"userPrincipalName eq '$upn'\"", new Dictionary<string, object?> { ["upn"] = upn });
            result.ThrowIfFailed();
            Assert.Equal(fixture.UserId(1), Prop(Assert.Single(result.Output), "Id"));
        }

        [Fact]
        public void SearchWithConsistencyLevelFindsUsersByAWordOfTheirName()
        {
            using Session session = Connected(out _);
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                result = session.Run("Get-MgUser -Search '\"displayName:adele\"' -ConsistencyLevel eventual -All"));
            result.ThrowIfFailed();
            Assert.Equal("AdeleV@contoso.com", Prop(Assert.Single(result.Output), "UserPrincipalName"));
            JsonElement sent = Assert.Single(requests);
            Assert.Equal("$search=%22displayName%3Aadele%22", sent.GetProperty("query").GetString());
        }

        [Fact]
        public void CountVariableGetsTheCountOfAnAdvancedQuery()
        {
            using Session session = Connected(out string token);
            RunResult result = session.Run(
                "Get-MgUser -Filter \"assignedLicenses/`$count ne 0\" -ConsistencyLevel eventual -CountVariable n -All -PageSize 2");
            result.ThrowIfFailed();
            Assert.NotEmpty(result.Output);
            Assert.Equal((long)result.Output.Count, session.Variable("n"));
            int licensed = fixture.GraphList(token, "/v1.0/users?$select=id,assignedLicenses").Count(u => u.GetProperty("assignedLicenses").GetArrayLength() > 0);
            Assert.Equal(licensed, result.Output.Count);

            // Without ConsistencyLevel Graph refuses the advanced query: one error record with Graph's code, nothing written.
            RunResult refused = session.Run("Get-MgUser -Filter \"assignedLicenses/`$count ne 0\" -CountVariable n2 -All");
            Assert.Empty(refused.Output);
            ErrorRecord error = Assert.Single(refused.Errors);
            Assert.NotNull(error.ErrorDetails);
            Assert.Contains("Status: 400", error.ErrorDetails.Message);
        }

        [Fact]
        public void AMissingUserIsGraphsErrorRecordAndResponseHeadersAreKept()
        {
            using Session session = Connected(out _);
            RunResult missing = session.Run("Get-MgUser -UserId nobody@contoso.com");
            Assert.Empty(missing.Output);
            ErrorRecord error = Assert.Single(missing.Errors);
            Assert.StartsWith("Request_ResourceNotFound", error.FullyQualifiedErrorId);
            Assert.Equal("nobody@contoso.com", error.TargetObject);
            Assert.Contains("Status: 404", error.ErrorDetails.Message);

            RunResult headers = session.Run("Get-MgUser -Top 1 -ResponseHeadersVariable h | Out-Null; $h");
            headers.ThrowIfFailed();
            var map = (IDictionary)Assert.Single(headers.Output).BaseObject;
            Assert.True(map.Contains("request-id"));
            Assert.True(map.Contains("Request-Id"), "the map is case-insensitive as the official one is");
        }

        [Fact]
        public void BadInputIsRefusedByNameAndNothingIsSent()
        {
            using Session session = Connected(out _);
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                result = session.Run("Get-MgUser -All -Headers @{ 'X-Test' = \"a`r`nInjected: 1\" }"));
            Assert.Empty(result.Output);
            Assert.Contains("'X-Test'", Assert.Single(result.AllErrors).Exception.Message);
            Assert.Empty(requests);

            requests = fixture.RequestsDuring(() => result = session.Run("Get-MgGroupMemberWithLicenseError -GroupId '..' -All"));
            Assert.Contains("GroupId '..'", Assert.Single(result.AllErrors).Exception.Message);
            Assert.Empty(requests);

            requests = fixture.RequestsDuring(() => result = session.Run("Get-MgGroup -GroupId 'a/b'"));
            JsonElement sent = Assert.Single(requests);
            Assert.Equal("/v1.0/groups/a%2Fb", sent.GetProperty("path").GetString());
        }

        [Fact]
        public void DebugShowsTheCallsAndNeverTheToken()
        {
            using Session session = Connected(out string token);
            RunResult result = session.Run("Get-MgUser -Top 3 -PageSize 2 -Debug");
            result.ThrowIfFailed();
            string debug = string.Join("\n---\n", result.Debug);
            Assert.True(result.Debug.Any(d => d.Contains("GET\n\nAbsolute Uri:\n" + fixture.EmulatorUrl + "/v1.0/users?$top=2\n")), debug);
            Assert.True(result.Debug.Any(d => d.Contains("Absolute Uri:\n" + fixture.EmulatorUrl + "/v1.0/users?$top=2&$skiptoken=")), debug);
            Assert.DoesNotContain(result.Debug, d => d.Contains(token));
        }

        [Fact]
        public void GroupsWithErrorsTheirMembersAndTheOneLinerThatReprocessesThem()
        {
            using Session session = Connected(out string token);
            RunResult groups = session.Run("Get-MgGroup -Filter 'hasMembersWithLicenseErrors eq true' -All");
            groups.ThrowIfFailed();
            Assert.NotEmpty(groups.Output);
            Assert.Equal("Microsoft.Graph.PowerShell.Models.MicrosoftGraphGroup", groups.Output[0].TypeNames[0]);
            string groupId = Prop(groups.Output[0], "Id")!;

            RunResult members = session.Run("Get-MgGroupMemberWithLicenseError -GroupId $g -All", new Dictionary<string, object?> { ["g"] = groupId });
            members.ThrowIfFailed();
            List<JsonElement> expected = fixture.GraphList(token, $"/v1.0/groups/{groupId}/membersWithLicenseErrors");
            Assert.Equal(expected.Select(m => m.GetProperty("id").GetString()), members.Output.Select(m => Prop(m, "Id")));
            PSObject member = members.Output[0];
            Assert.Equal("Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject", member.TypeNames[0]);
            var additional = (IDictionary)member.Properties["AdditionalProperties"].Value;
            Assert.Equal(expected[0].GetProperty("userPrincipalName").GetString(), additional["userPrincipalName"]);
            Assert.Equal(expected[0].GetProperty("userPrincipalName").GetString(), Prop(member, "UserPrincipalName"));

            int everyMember = groups.Output
                .Select(g => fixture.GraphList(token, $"/v1.0/groups/{Prop(g, "Id")}/membersWithLicenseErrors").Count)
                .Sum();
            RunResult reprocessed = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() => reprocessed = session.Run(
                "Get-MgGroup -Filter 'hasMembersWithLicenseErrors eq true' -All | ForEach-Object { Get-MgGroupMemberWithLicenseError -GroupId $_.Id -All } | Invoke-MgLicenseUser"));
            reprocessed.ThrowIfFailed();
            Assert.Equal(everyMember, reprocessed.Output.Count);
            Assert.Equal(everyMember, requests.Count(r => r.GetProperty("method").GetString() == "POST"
                && r.GetProperty("path").GetString()!.EndsWith("/reprocessLicenseAssignment", StringComparison.Ordinal)));
        }

        private const string PowerBiGroup = "c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f";

        /// <summary>Runs <paramref name="script"/> and gives its output and the one request it made.</summary>
        private (RunResult Result, JsonElement Request) RunOneRead(Session session, string script)
        {
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                result = session.Run(script, new Dictionary<string, object?> { ["g"] = PowerBiGroup }));
            result.ThrowIfFailed();
            return (result, Assert.Single(requests));
        }

        [Fact]
        public void OneGroupByIdIsThatGroup()
        {
            using Session session = Connected(out _);
            (RunResult result, JsonElement request) = RunOneRead(session, "Get-MgGroup -GroupId $g");
            Assert.Equal("/v1.0/groups/" + PowerBiGroup, request.GetProperty("path").GetString());
            Assert.Equal(JsonValueKind.Null, request.GetProperty("query").ValueKind);
            PSObject group = Assert.Single(result.Output);
            Assert.Equal("Microsoft.Graph.PowerShell.Models.MicrosoftGraphGroup", group.TypeNames[0]);
            Assert.Equal(PowerBiGroup, Prop(group, "Id"));
            Assert.Equal("Power BI Pro", Prop(group, "DisplayName"));
            var licenses = (object[])group.Properties["AssignedLicenses"].Value;
            Assert.Equal("f8a1db68-be16-40ed-86d5-cb42ce701560", Prop((PSObject)Assert.Single(licenses), "SkuId"));
        }

        [Fact]
        public void GroupPropertyAndTopGoOnTheWireAndShapeWhatComesBack()
        {
            using Session session = Connected(out string token);
            (RunResult selected, JsonElement request) = RunOneRead(session, "Get-MgGroup -GroupId $g -Property id, displayName");
            Assert.Equal("$select=id%2CdisplayName", request.GetProperty("query").GetString());
            PSObject group = Assert.Single(selected.Output);
            Assert.Equal("Power BI Pro", Prop(group, "DisplayName"));
            Assert.Null(group.Properties["AssignedLicenses"]?.Value);

            (RunResult top, request) = RunOneRead(session, "Get-MgGroup -Top 1 -Property displayName");
            Assert.Equal("$select=displayName&$top=1", request.GetProperty("query").GetString());
            PSObject first = Assert.Single(top.Output);
            Assert.Equal(fixture.GraphList(token, "/v1.0/groups").First().GetProperty("displayName").GetString(), Prop(first, "DisplayName"));
            Assert.Null(Prop(first, "Id"));
        }

        [Fact]
        public void MemberPropertySelectsWhatEachMemberCarries()
        {
            using Session session = Connected(out string token);
            (RunResult result, JsonElement request) = RunOneRead(session, "Get-MgGroupMemberWithLicenseError -GroupId $g -Property id,userPrincipalName -All");
            Assert.Equal($"/v1.0/groups/{PowerBiGroup}/membersWithLicenseErrors", request.GetProperty("path").GetString());
            Assert.Equal("$select=id%2CuserPrincipalName", request.GetProperty("query").GetString());
            List<JsonElement> expected = fixture.GraphList(token, $"/v1.0/groups/{PowerBiGroup}/membersWithLicenseErrors");
            Assert.Equal(expected.Select(m => m.GetProperty("userPrincipalName").GetString()), result.Output.Select(m => Prop(m, "UserPrincipalName")));
            Assert.All(result.Output, m =>
            {
                var additional = (IDictionary)m.Properties["AdditionalProperties"].Value;
                Assert.True(additional.Contains("userPrincipalName"));
                Assert.False(additional.Contains("displayName"), "only the selected properties come back");
            });
        }

        [Fact]
        public void SubscribedSkusCarryTheirPartNumbersAndSeats()
        {
            using Session session = Connected(out string token);
            RunResult result = session.Run("Get-MgSubscribedSku -All");
            result.ThrowIfFailed();
            List<JsonElement> expected = fixture.GraphList(token, "/v1.0/subscribedSkus");
            Assert.Equal(expected.Select(s => s.GetProperty("skuPartNumber").GetString()), result.Output.Select(s => Prop(s, "SkuPartNumber")));
            PSObject sku = result.Output[0];
            Assert.Equal("Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku", sku.TypeNames[0]);
            Assert.NotNull(((PSObject)sku.Properties["PrepaidUnits"].Value).Properties["Enabled"].Value);
        }

        [Fact]
        public void TheParameterSetsAreTheOfficialOnes()
        {
            using Session session = fixture.NewSession();
            RunResult result = session.Run(
                "'Get-MgUser','Get-MgGroup','Get-MgGroupMemberWithLicenseError','Get-MgSubscribedSku' | ForEach-Object { " +
                "$c = Get-Command $_; $c.ParameterSets | ForEach-Object { '{0}:{1}:{2}' -f $c.Name, $_.Name, (($_.Parameters | Where-Object IsMandatory | ForEach-Object Name) -join ',') } }");
            result.ThrowIfFailed();
            Assert.Equal(
                new[]
                {
                    "Get-MgUser:List:", "Get-MgUser:Get:UserId", "Get-MgUser:GetViaIdentity:InputObject",
                    "Get-MgGroup:List:", "Get-MgGroup:Get:GroupId",
                    "Get-MgGroupMemberWithLicenseError:List:GroupId",
                    "Get-MgSubscribedSku:List:",
                }.OrderBy(s => s, StringComparer.Ordinal),
                result.Output.Select(o => o.ToString()).OrderBy(s => s, StringComparer.Ordinal).ToArray());
        }
    }
}
