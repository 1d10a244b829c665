// The writes that fix license errors, made with Microsoft's Graph .NET SDK against the emulator: if Kiota's request builders
// and parsers accept the emulator's answers to PATCH /users, assignLicense, licenseDetails and the members $ref calls, the
// PowerShell SDK (built on the same libraries) would too.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.AssignLicense;
using Xunit;

namespace Emulator.Tests
{
    public class WriteTests
    {
        private const string AlexUpn = "AlexW@contoso.com";
        private const string ZoeUpn = "zoe.angstrom@contoso.com";
        private const string LeeId = "b3c2a1d0-9e8f-4a7b-8c6d-5e4f3a2b1c0d";
        private const string PowerBiGroup = "c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f";
        private static readonly Guid E3 = Guid.Parse("05e9a617-0261-4cee-bb44-138d3ef5d965");

        private static async Task<List<string>> StatesAsync(GraphServiceClient client, string user)
        {
            User? read = await client.Users[user].GetAsync(r => r.QueryParameters.Select = new[] { "licenseAssignmentStates" });
            return read!.LicenseAssignmentStates!.Select(s => $"{s.State}/{s.Error}").ToList();
        }

        [Fact]
        public async Task PatchingTheUsageLocationThenReprocessingClearsTheError()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("User.ReadWrite.All"));

            await client.Users[AlexUpn].PatchAsync(new User { UsageLocation = "US" });
            User? read = await client.Users[AlexUpn].GetAsync(r => r.QueryParameters.Select = new[] { "usageLocation" });
            Assert.Equal("US", read!.UsageLocation);
            Assert.Equal(new[] { "Error/ProhibitedInUsageLocationViolation" }, await StatesAsync(client, AlexUpn));

            await client.Users[AlexUpn].ReprocessLicenseAssignment.PostAsync();
            Assert.Equal(new[] { "Active/None" }, await StatesAsync(client, AlexUpn));

            ODataError error = await Assert.ThrowsAsync<ODataError>(() => client.Users[AlexUpn].PatchAsync(new User { ProxyAddresses = new List<string> { "SMTP:x@contoso.com" } }));
            Assert.Equal(400, error.ResponseStatusCode);
            Assert.Equal("Request_BadRequest", error.Error!.Code);
        }

        [Fact]
        public async Task AssignLicenseAnswersTheUserAndLicenseDetailsListIt()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("User.ReadWrite.All"));

            User? user = await client.Users[ZoeUpn].AssignLicense.PostAsync(new AssignLicensePostRequestBody
            {
                AddLicenses = new List<AssignedLicense> { new AssignedLicense { SkuId = E3, DisabledPlans = new List<Guid?>() } },
                RemoveLicenses = new List<Guid?>(),
            });
            Assert.Equal(ZoeUpn, user!.UserPrincipalName);
            Assert.Equal(E3, user.AssignedLicenses!.Single().SkuId);

            LicenseDetailsCollectionResponse? details = await client.Users[ZoeUpn].LicenseDetails.GetAsync();
            LicenseDetails detail = details!.Value!.Single();
            Assert.Equal("SPE_E3", detail.SkuPartNumber);
            Assert.Equal(E3, detail.SkuId);
            Assert.All(detail.ServicePlans!, p => Assert.Equal("Success", p.ProvisioningStatus));

            ODataError error = await Assert.ThrowsAsync<ODataError>(() => client.Users[AlexUpn].AssignLicense.PostAsync(new AssignLicensePostRequestBody
            {
                AddLicenses = new List<AssignedLicense> { new AssignedLicense { SkuId = E3 } },
                RemoveLicenses = new List<Guid?>(),
            }));
            Assert.Equal(400, error.ResponseStatusCode);
            Assert.Equal("Request_BadRequest", error.Error!.Code);
            Assert.Equal("License assignment cannot be done for user with invalid usage location.", error.Error.Message);

            Guid unknown = Guid.Parse("11111111-2222-4333-8444-555555555555");
            error = await Assert.ThrowsAsync<ODataError>(() => client.Users[ZoeUpn].AssignLicense.PostAsync(new AssignLicensePostRequestBody
            {
                AddLicenses = new List<AssignedLicense> { new AssignedLicense { SkuId = unknown } },
                RemoveLicenses = new List<Guid?>(),
            }));
            Assert.Equal($"License {unknown} does not correspond to a valid company License.", error.Error!.Message);
        }

        [Fact]
        public async Task MembersPageAndAreRemovedAndAddedByReference()
        {
            using EmulatorProcess emulator = EmulatorProcess.Start();
            GraphServiceClient client = emulator.Client(await emulator.TokenAsync("GroupMember.ReadWrite.All", "User.ReadWrite.All"));

            DirectoryObjectCollectionResponse? first = await client.Groups[PowerBiGroup].Members.GetAsync(r => r.QueryParameters.Top = 1);
            Assert.NotNull(first!.OdataNextLink);
            var seen = new List<string>();
            PageIterator<DirectoryObject, DirectoryObjectCollectionResponse> pages =
                PageIterator<DirectoryObject, DirectoryObjectCollectionResponse>.CreatePageIterator(client, first, member =>
                {
                    // The SDK reads @odata.type and gives a User.
                    Assert.IsType<User>(member);
                    seen.Add(member.Id!);
                    return true;
                });
            await pages.IterateAsync();
            Assert.Equal(3, seen.Count);
            Assert.Contains(LeeId, seen);

            Assert.Contains("MutuallyExclusiveViolation", string.Join(",", await StatesAsync(client, LeeId)));
            await client.Groups[PowerBiGroup].Members[LeeId].Ref.DeleteAsync();
            Assert.Equal(new[] { "Active/None" }, await StatesAsync(client, LeeId));
            ODataError error = await Assert.ThrowsAsync<ODataError>(() => client.Groups[PowerBiGroup].Members[LeeId].Ref.DeleteAsync());
            Assert.Equal(404, error.ResponseStatusCode);
            Assert.Equal("Request_ResourceNotFound", error.Error!.Code);

            await client.Groups[PowerBiGroup].Members.Ref.PostAsync(new ReferenceCreate { OdataId = $"https://graph.microsoft.com/v1.0/directoryObjects/{LeeId}" });
            DirectoryObjectCollectionResponse? all = await client.Groups[PowerBiGroup].Members.GetAsync();
            Assert.Contains(all!.Value!, m => m.Id == LeeId);
            error = await Assert.ThrowsAsync<ODataError>(() => client.Groups[PowerBiGroup].Members.Ref.PostAsync(new ReferenceCreate { OdataId = $"https://graph.microsoft.com/v1.0/directoryObjects/{LeeId}" }));
            Assert.Equal(400, error.ResponseStatusCode);

            var logged = (await emulator.RequestsAsync()).Select(r => $"{r!["method"]} {r["path"]}").ToList();
            Assert.Contains($"DELETE /v1.0/groups/{PowerBiGroup}/members/{LeeId}/$ref", logged);
            Assert.Contains($"POST /v1.0/groups/{PowerBiGroup}/members/$ref", logged);
        }
    }
}
