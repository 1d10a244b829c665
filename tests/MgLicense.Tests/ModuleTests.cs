// The module as Import-Module and Get-Command present it: what it exports and how its syntax reads.
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class ModuleTests
    {
        private readonly PowerShellFixture fixture;

        public ModuleTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Fact]
        public void ExportsTheCmdlets()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run("Get-Command -Module MgLicense");

            result.ThrowIfFailed();
            Assert.Equal(
                new[] { "Add-MgEnvironment", "Connect-MgGraph", "Disconnect-MgGraph", "Get-MgContext", "Get-MgEnvironment", "Invoke-MgLicenseUser" },
                result.Output.Select(c => ((CommandInfo)c.BaseObject).Name).OrderBy(n => n, System.StringComparer.Ordinal));
            Assert.All(result.Output, c => Assert.Equal(CommandTypes.Cmdlet, ((CommandInfo)c.BaseObject).CommandType));
        }

        [Fact]
        public void SyntaxReadsLikeTheOfficialCmdlet()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run("Get-Command Invoke-MgLicenseUser -Syntax");

            result.ThrowIfFailed();
            string syntax = string.Join("\n", result.Output.Select(o => o.ToString()));
            Assert.Contains("Invoke-MgLicenseUser -UserId <string> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm]", syntax);
            Assert.Contains("Invoke-MgLicenseUser -InputObject <IUsersActionsIdentity>", syntax);
            Assert.Contains("[-WhatIf] [-Confirm]", syntax);
        }

        [Fact]
        public void ParametersMatchTheOfficialContract()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run(
                "$c = Get-Command Invoke-MgLicenseUser; $c.DefaultParameterSet; $c.Parameters['ResponseHeadersVariable'].Aliases; $c.Parameters['InputObject'].ParameterType.FullName");

            result.ThrowIfFailed();
            Assert.Equal(new object[] { "License", "RHV", "MgLicense.Models.IUsersActionsIdentity" }, result.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void ImportingTwiceIsHarmless()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run("Import-Module $manifest -Force; (Get-Command Invoke-MgLicenseUser).Name",
                new System.Collections.Generic.Dictionary<string, object?> { ["manifest"] = fixture.ModuleManifest });

            result.ThrowIfFailed();
            Assert.Equal("Invoke-MgLicenseUser", Assert.Single(result.Output).BaseObject);
        }
    }
}
