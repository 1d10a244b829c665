// Users come as typed models (MgLicense.Models.User): typed properties, AdditionalProperties for the rest, and what no model declares still reachable by name.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class ModelTests
    {
        private const string Adele = "047dd774-f1c4-40f2-82f0-278de79f9b83";

        private readonly PowerShellFixture fixture;

        public ModelTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser -UserId $id")]
        [InlineData("Invoke-MgBetaLicenseUser -UserId $id")]
        [InlineData("Get-MgUser -UserId $id -Property id, accountEnabled, assignedLicenses, licenseAssignmentStates")]
        public void AUserIsTheTypedModelWithTypedLicenseStates(string call)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run(
                $"$u = {call}; " +
                "$u.psobject.BaseObject.GetType().FullName; $u.AccountEnabled.GetType().FullName; " +
                "$u.LicenseAssignmentStates[0].GetType().FullName; $u.LicenseAssignmentStates[0].LastUpdatedDateTime.GetType().FullName; " +
                "$u.LicenseAssignmentStates[0].Error; @($u.AssignedLicenses.SkuId).Count; $u.AdditionalProperties['@odata.context']",
                new Dictionary<string, object?> { ["id"] = Adele });

            result.ThrowIfFailed();
            object[] shown = result.Output.Select(o => o.BaseObject).ToArray();
            Assert.Equal("MgLicense.Models.User", shown[0]);
            Assert.Equal("System.Boolean", shown[1]);
            Assert.Equal("MgLicense.Models.LicenseAssignmentState", shown[2]);
            Assert.Equal("System.DateTime", shown[3]);
            Assert.Equal("None", shown[4]);
            Assert.True((int)shown[5] > 0);
            Assert.Contains("$metadata#users", Assert.IsType<string>(shown[6]));
        }

        [Fact]
        public void ASelectedPropertyNoModelDeclaresIsInAdditionalPropertiesAndReachableByName()
        {
            string id = Guid.NewGuid().ToString();
            fixture.Admin(HttpMethod.Post, "users", JsonSerializer.Serialize(new
            {
                id,
                userPrincipalName = $"model.{id.Substring(0, 8)}@contoso.com",
                displayName = "Model Test",
                employeeBadge = "B-7",
            }));
            try
            {
                using Session session = fixture.NewSession();
                session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

                RunResult result = session.Run(
                    "$u = Get-MgUser -UserId $id -Property id, employeeBadge; $u.AdditionalProperties['employeeBadge']; $u.EmployeeBadge; $u.Id",
                    new Dictionary<string, object?> { ["id"] = id });

                result.ThrowIfFailed();
                Assert.Equal(new object[] { "B-7", "B-7", id }, result.Output.Select(o => o.BaseObject));
            }
            finally
            {
                fixture.Admin(HttpMethod.Delete, $"users/{id}");
            }
        }

        [Fact]
        public void AValueOfAnotherJsonTypeThanDeclaredIsKeptRawInAdditionalProperties()
        {
            const string body = """{"id":"u1","accountEnabled":"yes","assignedLicenses":[{"skuId":7,"disabledPlans":[]}],"createdDateTime":"not a date","displayName":"Odd"}""";
            using var odd = new StubGraph(
                $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
            using Session session = fixture.NewSession();
            odd.Connect(session, fixture.MintToken("User.ReadWrite.All"));
            try
            {
                RunResult result = session.Run(
                    "$u = Get-MgUser -UserId u1; $null -eq $u.AccountEnabled; $u.AdditionalProperties['accountEnabled']; " +
                    "$null -eq $u.AssignedLicenses[0].SkuId; $u.AssignedLicenses[0].AdditionalProperties['skuId']; " +
                    "$u.AdditionalProperties['createdDateTime']; $u.DisplayName");

                Assert.Empty(result.AllErrors);
                Assert.Equal(new object[] { true, "yes", true, 7, "not a date", "Odd" }, result.Output.Select(o => o.BaseObject));
            }
            finally
            {
                session.Run("Disconnect-MgGraph -ErrorAction SilentlyContinue");
            }
        }
    }
}
