// -Confirm as a person at the console meets it, its prompts answered by script through the test host (the one thing
// a Pester script cannot play); the emulator's request log proves what was sent. -WhatIf is in tests/ShouldProcess.Tests.ps1.
using System;
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

        [Fact]
        public void ConfirmAskedAndDeclinedSendsNothing()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            session.Console.ChoiceAnswers.Enqueue(No);

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
            // Pipeline input is sent concurrently, so the calls may come in any order: each must come once.
            Assert.Equal(expected.Select(id => $"/v1.0/users/{id}/reprocessLicenseAssignment").Order(StringComparer.Ordinal), Paths(sent).Order(StringComparer.Ordinal));
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
            Assert.Equal(new[] { $"/beta/users/{ids[0]}/reprocessLicenseAssignment2" }, Paths(sent));
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

        private static string[] Paths(IEnumerable<JsonElement> requests) => requests.Select(r => r.GetProperty("path").GetString()!).ToArray();
    }
}
