// The emulator driven by Microsoft's Graph .NET SDK: if Kiota's parsers, PageIterator and batch content
// accept its answers, the PowerShell SDK (built on the same libraries) would too.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using Xunit;

namespace Emulator.Tests
{
    public class GraphSdkTests
    {
        private const string AdeleId = "047dd774-f1c4-40f2-82f0-278de79f9b83";
        private const string AlexUpn = "AlexW@contoso.com";
        private const string PowerBiGroup = "c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f";

        [Fact]
        public async Task ReprocessReturnsTheUserAndReEvaluatesIt()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("User.ReadWrite.All"));

            await emulator.AdminAsync(HttpMethod.Patch, $"users/{AlexUpn}", new JsonObject { ["usageLocation"] = "US" });
            User? user = await client.Users[AlexUpn].ReprocessLicenseAssignment.PostAsync();

            Assert.NotNull(user);
            Assert.Equal("43fe5b38-7328-40b9-a2f6-85d86ae8c34d", user!.Id);
            Assert.Equal(AlexUpn, user.UserPrincipalName);
            Assert.Equal("05e9a617-0261-4cee-bb44-138d3ef5d965", user.AssignedLicenses!.Single().SkuId.ToString());
            Assert.Equal("Active", user.LicenseAssignmentStates!.Single().State);
            JsonNode last = (await emulator.RequestsAsync()).Last()!;
            // Kiota escapes the @ of a UPN; the emulator logs the raw path it received.
            Assert.Equal("/v1.0/users/AlexW%40contoso.com/reprocessLicenseAssignment", last["path"]!.GetValue<string>());
        }

        [Fact]
        public async Task SelectedReadsCarryLicenseStatesOnlyWhenAsked()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("User.Read.All"));

            User? plain = await client.Users[AlexUpn].GetAsync();
            Assert.Equal("Alex Wilber", plain!.DisplayName);
            Assert.Null(plain.LicenseAssignmentStates);

            User? selected = await client.Users[AlexUpn].GetAsync(r => r.QueryParameters.Select = new[] { "id", "usageLocation", "licenseAssignmentStates" });
            LicenseAssignmentState state = selected!.LicenseAssignmentStates!.Single();
            Assert.Equal("Error", state.State);
            Assert.Equal("ProhibitedInUsageLocationViolation", state.Error);
            Assert.Equal("a1f3c9e2-5d7b-4f60-8e21-3b9c7d4a6f10", state.AssignedByGroup);
            Assert.Null(selected.UsageLocation);
            Assert.Null(selected.DisplayName);
        }

        [Fact]
        public async Task PageIteratorFollowsNextLinksThroughEveryUser()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("User.Read.All"));

            UserCollectionResponse? first = await client.Users.GetAsync(r =>
            {
                r.QueryParameters.Top = 3;
                r.QueryParameters.Select = new[] { "id", "userPrincipalName" };
            });
            Assert.NotNull(first!.OdataNextLink);
            var seen = new List<string>();
            PageIterator<User, UserCollectionResponse> pages = PageIterator<User, UserCollectionResponse>.CreatePageIterator(client, first, user =>
            {
                seen.Add(user.Id!);
                return true;
            });
            await pages.IterateAsync();

            Assert.Equal(8, seen.Distinct().Count());
            Assert.Equal(8, seen.Count);
            Assert.Equal(3, (await emulator.RequestsAsync()).Count);

            UserCollectionResponse? filtered = await client.Users.GetAsync(r =>
                r.QueryParameters.Filter = "userPrincipalName in ('AdeleV@contoso.com', 'alice_fabrikam.com#EXT#@contoso.onmicrosoft.com')");
            Assert.Equal(2, filtered!.Value!.Count);
        }

        [Fact]
        public async Task GroupsWithLicenseErrorsAndTheirMembers()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("Directory.Read.All"));

            GroupCollectionResponse? groups = await client.Groups.GetAsync(r => r.QueryParameters.Filter = "hasMembersWithLicenseErrors eq true");
            Assert.Equal(2, groups!.Value!.Count);
            Assert.All(groups.Value, g => Assert.True(g.HasMembersWithLicenseErrors));

            DirectoryObjectCollectionResponse? members = await client.Groups[PowerBiGroup].MembersWithLicenseErrors.GetAsync();
            Assert.Equal(3, members!.Value!.Count);
            Assert.All(members.Value, m => Assert.IsType<User>(m));
            Assert.Equal("MeganB@contoso.com", ((User)members.Value[0]).UserPrincipalName);

            SubscribedSkuCollectionResponse? skus = await client.SubscribedSkus.GetAsync();
            SubscribedSku powerBi = skus!.Value!.Single(s => s.SkuPartNumber == "POWER_BI_PRO");
            Assert.Equal(1, powerBi.ConsumedUnits);
            Assert.Equal(1, powerBi.PrepaidUnits!.Enabled);
            Assert.Equal("BI_AZURE_P2", powerBi.ServicePlans!.Single().ServicePlanName);
        }

        [Fact]
        public async Task OneSkuOneMemberAndExpandedNavigationsParse()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("Directory.Read.All"));

            SubscribedSku listed = (await client.SubscribedSkus.GetAsync())!.Value!.First();
            SubscribedSku? one = await client.SubscribedSkus[listed.Id].GetAsync();
            Assert.Equal(listed.SkuPartNumber, one!.SkuPartNumber);

            DirectoryObject member = (await client.Groups[PowerBiGroup].MembersWithLicenseErrors.GetAsync())!.Value!.First();
            DirectoryObject? byId = await client.Groups[PowerBiGroup].MembersWithLicenseErrors[member.Id].GetAsync();
            Assert.Equal(member.Id, Assert.IsType<User>(byId).Id);

            User? user = await client.Users[AdeleId].GetAsync(r => r.QueryParameters.Expand = new[] { "memberOf" });
            Assert.All(user!.MemberOf!, g => Assert.IsType<Group>(g));
            Assert.NotEmpty(user.MemberOf!);
            Group? group = await client.Groups[PowerBiGroup].GetAsync(r => r.QueryParameters.Expand = new[] { "members" });
            Assert.All(group!.Members!, m => Assert.IsType<User>(m));

            ODataError refused = await Assert.ThrowsAsync<ODataError>(() => client.Groups.GetAsync(r => r.QueryParameters.Skip = 1));
            Assert.Equal("Request_BadRequest", refused.Error!.Code);
        }

        [Fact]
        public async Task BatchesAnswerEachStepIncludingThrottledOnes()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("User.ReadWrite.All"));
            await emulator.AdminAsync(HttpMethod.Put, "throttling", new JsonObject
            {
                ["enabled"] = true,
                ["limits"] = new JsonObject { ["appTenantWrites"] = 2 },
            });

            var batch = new BatchRequestContentCollection(client);
            var steps = new List<string>();
            foreach (string target in new[] { AdeleId, AlexUpn, "MeganB@contoso.com", "nobody@contoso.com" })
            {
                steps.Add(await batch.AddBatchRequestStepAsync(client.Users[target].ReprocessLicenseAssignment.ToPostRequestInformation()));
            }

            BatchResponseContentCollection response = await client.Batch.PostAsync(batch);
            Dictionary<string, HttpStatusCode> statuses = await response.GetResponsesStatusCodesAsync();

            Assert.Equal(4, statuses.Count);
            Assert.Equal(2, statuses.Values.Count(s => s == HttpStatusCode.OK));
            Assert.Equal(2, statuses.Values.Count(s => s == HttpStatusCode.TooManyRequests));
            string throttled = statuses.First(s => s.Value == HttpStatusCode.TooManyRequests).Key;
            using HttpResponseMessage item = await response.GetResponseByIdAsync(throttled);
            Assert.NotNull(item.Headers.RetryAfter);
            string ok = statuses.First(s => s.Value == HttpStatusCode.OK).Key;
            User? user = await response.GetResponseByIdAsync<User>(ok);
            Assert.False(string.IsNullOrEmpty(user!.Id));

            JsonArray log = await emulator.RequestsAsync();
            Assert.Equal(4, log.Count(e => e!["batch"] is not null));
        }

        [Theory]
        [InlineData("unknown", 404, "Request_ResourceNotFound")]
        [InlineData("forbidden", 403, "Authorization_RequestDenied")]
        [InlineData("expired", 401, "InvalidAuthenticationToken")]
        [InlineData("select", 400, "BadRequest")]
        [InlineData("throttled", 429, "TooManyRequests")]
        [InlineData("unavailable", 503, "ServiceUnavailable")]
        [InlineData("storage", 507, "InsufficientStorage")]
        public async Task ErrorsParseIntoODataErrorWithGraphsCode(string situation, int status, string code)
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            string token = situation switch
            {
                "forbidden" => await emulator.TokenAsync("Mail.Send"),
                "expired" => await emulator.TokenAsync(new JsonObject { ["roles"] = new JsonArray("User.ReadWrite.All"), ["expiresIn"] = -10 }),
                _ => await emulator.TokenAsync("User.ReadWrite.All"),
            };
            if (situation == "throttled")
            {
                await emulator.AdminAsync(HttpMethod.Put, "throttling", new JsonObject { ["enabled"] = true, ["limits"] = new JsonObject { ["appTenantWrites"] = 1 } });
                await emulator.Client(token).Users[AdeleId].ReprocessLicenseAssignment.PostAsync();
            }

            if (situation is "unavailable" or "storage")
            {
                await emulator.AdminAsync(HttpMethod.Put, "faults", new JsonObject
                {
                    ["rules"] = new JsonArray(new JsonObject { ["failureRate"] = 1, ["statuses"] = new JsonArray(status) }),
                });
            }

            GraphServiceClient client = emulator.Client(token);
            string user = situation == "unknown" ? "nobody@contoso.com" : AdeleId;
            ODataError error = await Assert.ThrowsAsync<ODataError>(async () =>
            {
                if (situation == "select")
                {
                    await client.Users[user].GetAsync(r => r.QueryParameters.Select = new[] { "shoeSize" });
                }
                else
                {
                    // No retries: this test is about the error the SDK parses, not its retry policy.
                    await client.Users[user].ReprocessLicenseAssignment.PostAsync(r => r.Options.Add(new RetryHandlerOption { MaxRetry = 0 }));
                }
            });

            Assert.Equal(status, error.ResponseStatusCode);
            Assert.Equal(code, error.Error!.Code);
            Assert.False(string.IsNullOrEmpty(error.Error.Message));
        }

        [Fact]
        public async Task TheSdkRetryHandlerWaitsOutRetryAfterAndSucceeds()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("User.ReadWrite.All"));
            await emulator.AdminAsync(HttpMethod.Put, "faults", new JsonObject
            {
                ["rules"] = new JsonArray(new JsonObject
                {
                    ["path"] = "/*/users/*/reprocessLicenseAssignment",
                    ["failureRate"] = 1,
                    ["statuses"] = new JsonArray(429),
                    ["retryAfterSeconds"] = 1,
                    ["count"] = 1,
                }),
            });

            User? user = await client.Users[AdeleId].ReprocessLicenseAssignment.PostAsync();

            Assert.Equal(AdeleId, user!.Id);
            JsonArray log = await emulator.RequestsAsync();
            Assert.Equal(2, log.Count);
            Assert.Equal("status:429", log[0]!["fault"]!.GetValue<string>());
            Assert.Equal("1", log[1]!["headers"]!["retry-attempt"]!.GetValue<string>());
        }
    }
}
