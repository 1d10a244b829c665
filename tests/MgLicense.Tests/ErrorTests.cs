// Graph's 400, 401, 403 and 404 answers as ErrorRecords, and the ways scripts handle them: -ErrorAction Stop, -ErrorVariable, try/catch.
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
    public sealed class ErrorTests
    {
        private const string Missing = "00000000-0000-0000-0000-00000000dead";

        private readonly PowerShellFixture fixture;

        public ErrorTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser")]
        [InlineData("Invoke-MgBetaLicenseUser")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment")]
        [InlineData("Invoke-MgBetaLicenseUser2")]
        public void NotFoundIsAGraphErrorRecordTargetingTheIdentity(string cmdlet)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run($"$identity = @{{ UserId = $id }}; $identity | {cmdlet}; $identity",
                new Dictionary<string, object?> { ["id"] = Missing });

            Assert.Null(result.Terminating);
            ErrorRecord error = Assert.Single(result.Errors);
            Assert.Equal("Request_ResourceNotFound," + Sent.ClassOf(cmdlet), error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
            Assert.Equal(
                $"[Request_ResourceNotFound] : Resource '{Missing}' does not exist or one of its queried reference-property objects are not present.",
                error.Exception.Message);
            // The target is what the user piped in: the very hashtable.
            Assert.Same(Assert.Single(result.Output).BaseObject, error.TargetObject);
            Assert.IsType<Hashtable>(error.TargetObject);
            AssertDetails(error, 404, "NotFound", "Request_ResourceNotFound");
        }

        [Fact]
        public void MeWithAnApplicationTokenIsBadRequest()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() => result = session.Run("Invoke-MgBetaLicenseUser2 -Me"));

            Assert.Equal(new[] { "/beta/me/reprocessLicenseAssignment2" }, Sent.Paths(sent));
            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Equal("BadRequest,MgLicense.Commands.InvokeMgBetaLicenseUser2", error.FullyQualifiedErrorId);
            Assert.Equal("[BadRequest] : /me request is only valid with delegated authentication flow.", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
            Assert.Equal("me", error.TargetObject);
            AssertDetails(error, 400, "BadRequest", "BadRequest");
        }

        [Fact]
        public void MeWithADelegatedTokenReprocessesTheSignedInUser()
        {
            using Session session = fixture.NewSession();
            string me = fixture.UserId(2);
            session.Connect(fixture.MintDelegatedToken(me, "User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() => result = session.Run("Invoke-MgBetaLicenseUser2 -Me"));

            result.ThrowIfFailed();
            JsonElement request = Assert.Single(sent);
            Assert.Equal("/beta/me/reprocessLicenseAssignment2", request.GetProperty("path").GetString());
            Assert.StartsWith("application/json", Sent.Header(request, "content-type"));
            // The {"value": …} envelope is gone: the user itself is written.
            PSObject user = Assert.Single(result.Output);
            Assert.Equal(me, user.Properties["Id"].Value);
            Assert.Null(user.Properties["Value"]);
            Assert.Equal("Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser", user.TypeNames[0]);
        }

        [Fact]
        public void ATokenWithoutTheWritePermissionIsForbidden()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.Read.All")).ThrowIfFailed();

            RunResult result = session.Run("Invoke-MgLicenseUser -UserId $id; 'went on'",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });

            Assert.Equal("went on", Assert.Single(result.Output).BaseObject);
            ErrorRecord error = Assert.Single(result.Errors);
            Assert.Equal("Authorization_RequestDenied,MgLicense.Commands.InvokeMgLicenseUser", error.FullyQualifiedErrorId);
            Assert.Equal("[Authorization_RequestDenied] : Insufficient privileges to complete the operation.", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
            Assert.Equal(fixture.UserId(0), error.TargetObject);
            AssertDetails(error, 403, "Forbidden", "Authorization_RequestDenied");
        }

        [Fact]
        public void ADelegatedSignInWithoutAnAdminRoleIsForbidden()
        {
            // Lee holds no directory role in tests/data/tenant.json: the scope alone does not let a user reprocess.
            string lee = fixture.Users.First(u => u.GetProperty("userPrincipalName").GetString() == "LeeG@contoso.com").GetProperty("id").GetString()!;
            string target = fixture.UserId(0);
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintDelegatedToken(lee, "User.ReadWrite.All")).ThrowIfFailed();
            long Count() => JsonDocument.Parse(fixture.Admin(HttpMethod.Get, "users/" + target)).RootElement.GetProperty("reprocessCount").GetInt64();
            long before = Count();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() => result = session.Run("Invoke-MgLicenseUser -UserId $id; 'went on'",
                new Dictionary<string, object?> { ["id"] = target }));

            Assert.Equal(403, Assert.Single(sent).GetProperty("status").GetInt32());
            Assert.Equal("went on", Assert.Single(result.Output).BaseObject);
            ErrorRecord error = Assert.Single(result.Errors);
            Assert.Equal("Authorization_RequestDenied,MgLicense.Commands.InvokeMgLicenseUser", error.FullyQualifiedErrorId);
            Assert.Equal("[Authorization_RequestDenied] : Insufficient privileges to complete the operation.", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
            Assert.Equal(target, error.TargetObject);
            AssertDetails(error, 403, "Forbidden", "Authorization_RequestDenied");
            Assert.Equal(before, Count());
        }

        [Fact]
        public void ATokenGraphRefusesIsUnauthorized()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All") + "x").ThrowIfFailed();

            RunResult result = session.Run("Invoke-MgBetaLicenseUser -UserId $id",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });

            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Equal("InvalidAuthenticationToken,MgLicense.Commands.InvokeMgBetaLicenseUser", error.FullyQualifiedErrorId);
            Assert.StartsWith("[InvalidAuthenticationToken] : ", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
            Assert.Equal(fixture.UserId(0), error.TargetObject);
            AssertDetails(error, 401, "Unauthorized", "InvalidAuthenticationToken");
        }

        [Fact]
        public void ErrorActionStopMakesTheGraphErrorCatchable()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run(
                "try { Invoke-MgLicenseUser -UserId $missing -ErrorAction Stop; 'not reached' } " +
                "catch { 'caught'; $_.FullyQualifiedErrorId; $_.Exception.Message; $_.CategoryInfo.Category.ToString() }; 'after'",
                new Dictionary<string, object?> { ["missing"] = Missing });

            Assert.Empty(result.AllErrors);
            Assert.Equal(
                new object[]
                {
                    "caught",
                    "Request_ResourceNotFound,MgLicense.Commands.InvokeMgLicenseUser",
                    $"[Request_ResourceNotFound] : Resource '{Missing}' does not exist or one of its queried reference-property objects are not present.",
                    "InvalidOperation",
                    "after",
                },
                result.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void WithoutStopTryDoesNotCatchAndThePipelineGoesOn()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run("try { $a, $b | Invoke-MgLicenseUser | ForEach-Object { $_.Id } } catch { 'caught' }",
                new Dictionary<string, object?> { ["a"] = Missing, ["b"] = fixture.UserId(0) });

            Assert.Equal(new object[] { fixture.UserId(0) }, result.Output.Select(o => o.BaseObject));
            Assert.Single(result.Errors);
        }

        [Fact]
        public void ErrorVariableCollectsOneRecordPerFailedInput()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run(
                "$a, $b, $c | Invoke-MgBetaReprocessUserCloudLicensingAssignment -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue; " +
                "$failed.Count; $failed | ForEach-Object { $_.TargetObject }",
                new Dictionary<string, object?> { ["a"] = Missing, ["b"] = fixture.UserId(0), ["c"] = Missing + "2" });

            Assert.Empty(result.AllErrors);
            Assert.Equal(new object[] { true, 2, Missing, Missing + "2" }, result.Output.Select(o => o.BaseObject));
        }

        private static void AssertDetails(ErrorRecord error, int status, string statusName, string code)
        {
            Assert.NotNull(error.ErrorDetails);
            string details = error.ErrorDetails.Message;
            Assert.Contains($"\nStatus: {status} ({statusName})\n", details);
            Assert.Contains($"\nErrorCode: {code}\n", details);
            Assert.Matches(@"\nDate: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", details);
            Assert.Contains("\nHeaders:\n", details);
            Assert.Matches(@"\nrequest-id {20}: [0-9a-f-]{36}", details);
        }
    }
}
