// -WhatIf and -Confirm as a person at the console meets them, for every reprocess cmdlet; the emulator's request log proves what was sent.
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class ShouldProcessTests
    {
        // PromptForChoice indexes of PowerShell's ShouldProcess prompt: [Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend.
        private const int Yes = 0;
        private const int YesToAll = 1;
        private const int No = 2;
        private const int NoToAll = 3;

        private readonly PowerShellFixture fixture;

        public ShouldProcessTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser -UserId $id -WhatIf",
            "Invoke-MgLicenseUser_License", "/users/{user-id}/reprocessLicenseAssignment")]
        [InlineData("$id | Invoke-MgLicenseUser -WhatIf",
            "Invoke-MgLicenseUser_LicenseViaIdentity", "/users/{user-id}/reprocessLicenseAssignment")]
        [InlineData("Invoke-MgBetaLicenseUser -UserId $id -WhatIf",
            "Invoke-MgBetaLicenseUser_License", "/users/{user-id}/reprocessLicenseAssignment")]
        [InlineData("@{ UserId = $id } | Invoke-MgBetaLicenseUser -WhatIf",
            "Invoke-MgBetaLicenseUser_LicenseViaIdentity", "/users/{user-id}/reprocessLicenseAssignment")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment -UserId $id -PassThru -WhatIf",
            "Invoke-MgBetaReprocessUserCloudLicensingAssignment_Reprocess", "/users/{user-id}/cloudLicensing/assignments/reprocessAssignments")]
        [InlineData("@{ UserId = $id } | Invoke-MgBetaReprocessUserCloudLicensingAssignment -WhatIf",
            "Invoke-MgBetaReprocessUserCloudLicensingAssignment_ReprocessViaIdentity", "/users/{user-id}/cloudLicensing/assignments/reprocessAssignments")]
        [InlineData("Invoke-MgBetaLicenseUser2 -UserId $id -WhatIf",
            "Invoke-MgBetaLicenseUser2_License", "/users/{user-id}/reprocessLicenseAssignment2")]
        [InlineData("@{ UserId = $id } | Invoke-MgBetaLicenseUser2 -WhatIf",
            "Invoke-MgBetaLicenseUser2_LicenseViaIdentity", "/users/{user-id}/reprocessLicenseAssignment2")]
        [InlineData("Invoke-MgBetaLicenseUser2 -Me -WhatIf",
            "Invoke-MgBetaLicenseUser2_Me", "/me/reprocessLicenseAssignment2")]
        public void WhatIfPrintsTheOfficialLineAndSendsNothing(string script, string operation, string path)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run(script, new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            result.ThrowIfFailed();
            Assert.Empty(sent);
            Assert.Empty(result.Output);
            Assert.Equal(
                new[] { $"What if: Performing the operation \"{operation}\" on target \"Call remote 'POST {path}' operation\"." },
                session.Console.Lines);
        }

        [Fact]
        public void ConfirmYesNoThenYesToAllHoldsForTheRestOfThePipeline()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string[] ids = Enumerable.Range(0, 5).Select(fixture.UserId).ToArray();
            foreach (int answer in new[] { Yes, No, YesToAll })
            {
                session.Console.ChoiceAnswers.Enqueue(answer);
            }

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("$ids | Invoke-MgLicenseUser -Confirm", new Dictionary<string, object?> { ["ids"] = ids }));

            result.ThrowIfFailed();
            Assert.Equal(3, session.Console.Prompts.Count);
            Assert.All(session.Console.Prompts, p => Assert.Contains("Invoke-MgLicenseUser_LicenseViaIdentity", p));
            Assert.Empty(session.Console.ChoiceAnswers);
            string[] expected = { ids[0], ids[2], ids[3], ids[4] };
            Assert.Equal(Sent.SortedPaths(expected.Select(id => Sent.PathFor("Invoke-MgLicenseUser", id))), Sent.SortedPaths(Sent.Paths(sent)));
            Assert.Equal(expected, result.Output.Select(o => (string)o.Properties["Id"].Value));
        }

        [Fact]
        public void ConfirmNoToAllSendsNothingMoreForThePipeline()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string[] ids = Enumerable.Range(0, 4).Select(fixture.UserId).ToArray();
            session.Console.ChoiceAnswers.Enqueue(Yes);
            session.Console.ChoiceAnswers.Enqueue(NoToAll);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("$ids | Invoke-MgBetaLicenseUser2 -Confirm", new Dictionary<string, object?> { ["ids"] = ids }));

            result.ThrowIfFailed();
            Assert.Equal(2, session.Console.Prompts.Count);
            Assert.Equal(new[] { Sent.PathFor("Invoke-MgBetaLicenseUser2", ids[0]) }, Sent.Paths(sent));
            Assert.Equal(ids[0], Assert.Single(result.Output).Properties["Id"].Value);
        }

        [Fact]
        public void ConfirmNoForEveryInputSendsNothing()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            session.Console.ChoiceAnswers.Enqueue(No);
            session.Console.ChoiceAnswers.Enqueue(No);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("$a, $b | Invoke-MgBetaReprocessUserCloudLicensingAssignment -PassThru -Confirm",
                    new Dictionary<string, object?> { ["a"] = fixture.UserId(0), ["b"] = fixture.UserId(1) }));

            result.ThrowIfFailed();
            Assert.Empty(sent);
            Assert.Empty(result.Output);
            Assert.Equal(2, session.Console.Prompts.Count);
        }

        [Fact]
        public void MediumImpactDoesNotPromptUnderTheDefaultPreferenceButDoesUnderMedium()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            session.Console.ChoiceAnswers.Enqueue(No);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("$null = Invoke-MgLicenseUser -UserId $id; $ConfirmPreference = 'Medium'; Invoke-MgLicenseUser -UserId $id",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            result.ThrowIfFailed();
            Assert.Single(sent);
            Assert.Single(session.Console.Prompts);
        }
    }
}
