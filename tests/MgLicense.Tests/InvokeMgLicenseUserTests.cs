// What a user of Invoke-MgLicenseUser sees, checked against what the emulator was actually sent.
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class InvokeMgLicenseUserTests
    {
        private const string WhatIfLine =
            "What if: Performing the operation \"Invoke-MgLicenseUser_License\" on target \"Call remote 'POST /users/{user-id}/reprocessLicenseAssignment' operation\".";

        private readonly PowerShellFixture fixture;

        public InvokeMgLicenseUserTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Fact]
        public void ReprocessesASeededUserAndWritesTheUser()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            JsonElement user = fixture.User(0);
            string id = user.GetProperty("id").GetString()!;

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Invoke-MgLicenseUser -UserId $id", new Dictionary<string, object?> { ["id"] = id }));

            result.ThrowIfFailed();
            PSObject output = Assert.Single(result.Output);
            Assert.Equal(id, output.Properties["Id"].Value);
            Assert.Equal(user.GetProperty("displayName").GetString(), output.Properties["DisplayName"].Value);
            Assert.Equal(user.GetProperty("userPrincipalName").GetString(), output.Properties["UserPrincipalName"].Value);
            Assert.Equal("Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser", output.TypeNames[0]);
            Assert.Contains("MgLicense.User", output.TypeNames);
            Assert.IsAssignableFrom<IDictionary>(output.Properties["AdditionalProperties"].Value);

            JsonElement request = Assert.Single(sent);
            Assert.Equal("POST", request.GetProperty("method").GetString());
            Assert.Equal($"/v1.0/users/{id}/reprocessLicenseAssignment", request.GetProperty("path").GetString());
            Assert.Equal("Bearer <redacted>", Header(request, "authorization"));
            Assert.Equal(200, request.GetProperty("status").GetInt32());
        }

        [Fact]
        public void UnknownUserIsOneNonTerminatingErrorShapedLikeTheOfficialOne()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            const string id = "00000000-0000-0000-0000-00000000dead";

            RunResult result = session.Run("Invoke-MgLicenseUser -UserId $id; 'still running'",
                new Dictionary<string, object?> { ["id"] = id });

            Assert.Null(result.Terminating);
            Assert.Equal("still running", Assert.Single(result.Output).BaseObject);
            ErrorRecord error = Assert.Single(result.Errors);
            Assert.Equal("Request_ResourceNotFound,MgLicense.Commands.InvokeMgLicenseUser", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
            Assert.Equal(
                $"[Request_ResourceNotFound] : Resource '{id}' does not exist or one of its queried reference-property objects are not present.",
                error.Exception.Message);
            Assert.Equal(id, error.TargetObject);
            Assert.NotNull(error.ErrorDetails);
            Assert.StartsWith($"Resource '{id}' does not exist", error.ErrorDetails.Message);
            Assert.Contains("Status: 404 (NotFound)", error.ErrorDetails.Message);
            Assert.Contains("ErrorCode: Request_ResourceNotFound", error.ErrorDetails.Message);
            Assert.Contains("\nDate: ", error.ErrorDetails.Message);
            Assert.Contains("\nHeaders:\n", error.ErrorDetails.Message);
            Assert.Matches(@"\nrequest-id {20}: \S+", error.ErrorDetails.Message);
        }

        [Fact]
        public void ATokenGraphDoesNotKnowIsInvalidAuthenticationToken()
        {
            using Session session = fixture.NewSession();
            // Same shape and claims as a real token, but a signature the emulator did not make.
            session.Connect(fixture.MintToken("User.ReadWrite.All") + "x").ThrowIfFailed();

            RunResult result = session.Run("Invoke-MgLicenseUser -UserId $id",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });

            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Equal("InvalidAuthenticationToken,MgLicense.Commands.InvokeMgLicenseUser", error.FullyQualifiedErrorId);
            Assert.StartsWith("[InvalidAuthenticationToken] : ", error.Exception.Message);
            Assert.Contains("Status: 401 (Unauthorized)", error.ErrorDetails.Message);
        }

        [Fact]
        public void NotConnectedAsksForConnectMgGraphAndSendsNothing()
        {
            using Session session = fixture.NewSession();
            session.Run("Disconnect-MgGraph -ErrorAction SilentlyContinue");

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Invoke-MgLicenseUser -UserId $id",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            Assert.Empty(sent);
            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Equal("Authentication needed. Please call Connect-MgGraph.", error.Exception.Message);
            Assert.Equal("AuthenticationNeeded,MgLicense.Commands.InvokeMgLicenseUser", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
        }

        [Fact]
        public void NotConnectedStopsAPipelineInsteadOfRepeatingTheError()
        {
            using Session session = fixture.NewSession();
            session.Run("Disconnect-MgGraph -ErrorAction SilentlyContinue");

            RunResult result = session.Run("@{UserId = 'a'}, @{UserId = 'b'}, @{UserId = 'c'} | Invoke-MgLicenseUser");

            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Equal("Authentication needed. Please call Connect-MgGraph.", error.Exception.Message);
        }

        [Fact]
        public void WhatIfPrintsTheOfficialLineAndSendsNothing()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Invoke-MgLicenseUser -UserId $id -WhatIf",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            result.ThrowIfFailed();
            Assert.Empty(sent);
            Assert.Empty(result.Output);
            Assert.Equal(new[] { WhatIfLine }, session.Console.Lines);
        }

        [Fact]
        public void WhatIfNamesTheIdentityParameterSet()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run("@{UserId = 'someone'} | Invoke-MgLicenseUser -WhatIf");

            result.ThrowIfFailed();
            Assert.Equal(
                new[] { WhatIfLine.Replace("Invoke-MgLicenseUser_License", "Invoke-MgLicenseUser_LicenseViaIdentity") },
                session.Console.Lines);
        }

        [Fact]
        public void ConfirmAskedAndDeclinedSendsNothing()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            session.Console.ChoiceAnswers.Enqueue(2); // [Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Invoke-MgLicenseUser -UserId $id -Confirm",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            result.ThrowIfFailed();
            Assert.Empty(sent);
            Assert.Empty(result.Output);
            string prompt = Assert.Single(session.Console.Prompts);
            Assert.Contains("Invoke-MgLicenseUser_License", prompt);
        }

        [Fact]
        public void ResponseHeadersVariableHoldsTheRequestId()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run(
                "$null = Invoke-MgLicenseUser -UserId $id -RHV h; $h['request-id']; $h['Request-Id']; $h.GetType().FullName",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });

            result.ThrowIfFailed();
            Assert.Equal(3, result.Output.Count);
            string requestId = Assert.IsType<string>(result.Output[0].BaseObject);
            Assert.False(string.IsNullOrWhiteSpace(requestId));
            Assert.Equal(requestId, result.Output[1].BaseObject);
            Assert.StartsWith("System.Collections.Generic.Dictionary`2[[System.String", (string)result.Output[2].BaseObject);
        }

        [Fact]
        public void PipedHashtablesGiveOneUserEachInOrder()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string first = fixture.UserId(0);
            string second = fixture.UserId(1);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("@{UserId = $b}, @{UserId = $a}, @{userid = $b} | Invoke-MgLicenseUser",
                    new Dictionary<string, object?> { ["a"] = first, ["b"] = second }));

            result.ThrowIfFailed();
            Assert.Equal(new[] { second, first, second }, result.Output.Select(o => o.Properties["Id"].Value));
            Assert.Equal(
                Sent.SortedPaths(new[] { second, first, second }.Select(id => $"/v1.0/users/{id}/reprocessLicenseAssignment")),
                Sent.SortedPaths(Sent.Paths(sent)));
        }

        [Fact]
        public void InputObjectAcceptsAnObjectWithAUserIdProperty()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run("Invoke-MgLicenseUser -InputObject ([pscustomobject]@{ UserId = $id; Note = 'kept' })",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });

            result.ThrowIfFailed();
            Assert.Equal(fixture.UserId(0), Assert.Single(result.Output).Properties["Id"].Value);
        }

        [Fact]
        public void AnIdentityWithoutAUserStopsThePipelineLikeTheOfficialCmdlet()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("@{UserId = $a}, @{DriveId = 'x'}, @{UserId = $a} | Invoke-MgLicenseUser",
                    new Dictionary<string, object?> { ["a"] = fixture.UserId(0) }));

            Assert.Single(result.Output);
            Assert.Single(sent);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Equal("InputObject has null value for InputObject.UserId", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
            Assert.Equal("InvalidArgument,MgLicense.Commands.InvokeMgLicenseUser", error.FullyQualifiedErrorId);
        }

        [Fact]
        public void AUserThatWasWrittenCanBePipedBackIn()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run("Invoke-MgLicenseUser -UserId $id | Invoke-MgLicenseUser",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(1) });

            result.ThrowIfFailed();
            Assert.Equal(fixture.UserId(1), Assert.Single(result.Output).Properties["Id"].Value);
        }

        [Fact]
        public void HeadersAreSentStringified()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Invoke-MgLicenseUser -UserId $id -Headers @{ 'x-ms-throttle-priority' = 'High'; 'x-test-number' = 42 }",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            result.ThrowIfFailed();
            JsonElement request = Assert.Single(sent);
            Assert.Equal("High", Header(request, "x-ms-throttle-priority"));
            Assert.Equal("42", Header(request, "x-test-number"));
        }

        [Fact]
        public void BatchSizeWritesWhatCallsOfTheirOwnWriteAndAnErrorPerUnknownUser()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string[] ids = { fixture.UserId(0), "nobody-1@contoso.com", fixture.UserId(1), fixture.UserId(2), "nobody-2@contoso.com", fixture.UserId(3), fixture.UserId(0) };
            var variables = new Dictionary<string, object?> { ["ids"] = ids };

            RunResult single = session.Run("$ids | Invoke-MgLicenseUser", variables);
            RunResult batched = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() => batched = session.Run("$ids | Invoke-MgLicenseUser -BatchSize 20", variables));

            Assert.Null(batched.Terminating);
            string[] found = ids.Where(id => !id.StartsWith("nobody")).ToArray();
            Assert.Equal(found, batched.Output.Select(o => o.Properties["Id"].Value));
            Assert.Equal(
                single.Output.Select(o => (o.Properties["Id"].Value, o.Properties["DisplayName"].Value, o.Properties["UserPrincipalName"].Value, o.TypeNames[0])),
                batched.Output.Select(o => (o.Properties["Id"].Value, o.Properties["DisplayName"].Value, o.Properties["UserPrincipalName"].Value, o.TypeNames[0])));
            Assert.Equal(new object[] { "nobody-1@contoso.com", "nobody-2@contoso.com" }, batched.Errors.Select(e => e.TargetObject));
            Assert.Equal(
                single.Errors.Select(e => (e.FullyQualifiedErrorId, e.CategoryInfo.Category, e.Exception.Message)),
                batched.Errors.Select(e => (e.FullyQualifiedErrorId, e.CategoryInfo.Category, e.Exception.Message)));
            Assert.All(batched.Errors, e => Assert.Equal("Request_ResourceNotFound,MgLicense.Commands.InvokeMgLicenseUser", e.FullyQualifiedErrorId));

            // Every call went inside a $batch, each once.
            Assert.Contains(sent, r => r.GetProperty("path").GetString() == "/v1.0/$batch");
            JsonElement[] calls = sent.Where(r => r.GetProperty("path").GetString()!.EndsWith("/reprocessLicenseAssignment")).ToArray();
            Assert.Equal(ids.Length, calls.Length);
            Assert.All(calls, r => Assert.Equal(JsonValueKind.Object, r.GetProperty("batch").ValueKind));
            Assert.Equal(
                Sent.SortedPaths(ids.Select(id => $"/v1.0/users/{id}/reprocessLicenseAssignment")),
                Sent.SortedPaths(Sent.Paths(calls)));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(21)]
        public void BatchSizeOutsideOneToTwentyIsRefusedBeforeAnythingIsSent(int size)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Invoke-MgLicenseUser -UserId $id -BatchSize $size",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0), ["size"] = size }));

            Assert.Empty(sent);
            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.StartsWith("ParameterArgumentValidationError,", error.FullyQualifiedErrorId);
            Assert.Contains("BatchSize", error.Exception.Message);
        }

        private static string? Header(JsonElement request, string name)
        {
            foreach (JsonProperty header in request.GetProperty("headers").EnumerateObject())
            {
                if (string.Equals(header.Name, name, System.StringComparison.OrdinalIgnoreCase))
                {
                    return header.Value.ValueKind == JsonValueKind.Array ? header.Value[0].GetString() : header.Value.GetString();
                }
            }

            return null;
        }
    }
}
