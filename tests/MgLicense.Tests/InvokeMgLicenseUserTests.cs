// Invoke-MgLicenseUser -Confirm answered by a person: only a host that answers prompts by script can play that person.
// Everything else a user of Invoke-MgLicenseUser sees is checked in Pester (tests/InvokeMgLicenseUser.Tests.ps1).
using System.Collections.Generic;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class InvokeMgLicenseUserTests
    {
        private readonly PowerShellFixture fixture;

        public InvokeMgLicenseUserTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
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
    }
}
