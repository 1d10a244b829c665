// The module as Import-Module and Get-Command present it: what it exports and how its syntax reads.
using System.Collections.Generic;
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
                new[]
                {
                    "Add-MgEnvironment", "Connect-MgGraph", "Disconnect-MgGraph", "Get-MgContext", "Get-MgEnvironment",
                    "Get-MgGroup", "Get-MgGroupMemberWithLicenseError", "Get-MgRequestContext", "Get-MgSubscribedSku", "Get-MgUser",
                    "Invoke-MgBetaLicenseUser", "Invoke-MgBetaLicenseUser2", "Invoke-MgBetaReprocessUserCloudLicensingAssignment",
                    "Invoke-MgLicenseUser", "Remove-MgEnvironment", "Set-MgRequestContext",
                },
                result.Output.Select(c => ((CommandInfo)c.BaseObject).Name).OrderBy(n => n, System.StringComparer.Ordinal));
            Assert.All(result.Output, c => Assert.Equal(CommandTypes.Cmdlet, ((CommandInfo)c.BaseObject).CommandType));
        }

        /// <summary>
        /// The two SYNTAX blocks of the official help (seed 000), each joined onto one line. Two differences are the
        /// PowerShell 7 console's, not MgLicense's: -ProgressAction is a common parameter from 7.4 on, so Get-Command folds
        /// it into [&lt;CommonParameters&gt;], and type names that have accelerators print in lower case (&lt;string&gt;).
        /// </summary>
        /// <summary>MgLicense's additions to the official parameters (pipeline concurrency and batching, waiting for processing).</summary>
        private const string Extension = " [-ThrottleLimit <int>] [-BatchSize <int>] [-Wait] [-TimeoutSec <int>]";

        private static readonly string[] SeedSyntax =
        {
            "Invoke-MgLicenseUser -UserId <String> [-ResponseHeadersVariable <String>] [-Headers <IDictionary>] [-ProgressAction <ActionPreference>] [-WhatIf] [-Confirm] [<CommonParameters>]",
            "Invoke-MgLicenseUser -InputObject <IUsersActionsIdentity> [-ResponseHeadersVariable <String>] [-Headers <IDictionary>] [-ProgressAction <ActionPreference>] [-WhatIf] [-Confirm] [<CommonParameters>]",
        };

        [Fact]
        public void SyntaxIsTheOfficialHelpsSyntax()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run("Get-Command Invoke-MgLicenseUser -Syntax");

            result.ThrowIfFailed();
            // Our additions may extend the official syntax, never change it: without them it is the seed's, exactly.
            Assert.All(SyntaxLines(result), line => Assert.Contains(Extension, line));
            Assert.Equal(
                SeedSyntax.Select(l => l.Replace(" [-ProgressAction <ActionPreference>]", string.Empty).Replace("<String>", "<string>")),
                SyntaxLines(result).Select(l => l.Replace(Extension, string.Empty)));
        }

        [Theory]
        [InlineData("Invoke-MgBetaLicenseUser",
            "Invoke-MgBetaLicenseUser -UserId <string> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]",
            "Invoke-MgBetaLicenseUser -InputObject <IUsersActionsIdentity> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment",
            "Invoke-MgBetaReprocessUserCloudLicensingAssignment -UserId <string> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-PassThru] [-WhatIf] [-Confirm] [<CommonParameters>]",
            "Invoke-MgBetaReprocessUserCloudLicensingAssignment -InputObject <IUsersActionsIdentity> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-PassThru] [-WhatIf] [-Confirm] [<CommonParameters>]")]
        [InlineData("Invoke-MgBetaLicenseUser2",
            "Invoke-MgBetaLicenseUser2 -UserId <string> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]",
            "Invoke-MgBetaLicenseUser2 -InputObject <IUsersActionsIdentity> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]",
            "Invoke-MgBetaLicenseUser2 -Me [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]")]
        public void BetaSyntaxIsTheHelpPagesSyntax(string cmdlet, params string[] expected)
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run("Get-Command $name -Syntax", new Dictionary<string, object?> { ["name"] = cmdlet });

            result.ThrowIfFailed();
            Assert.All(SyntaxLines(result), line => Assert.Contains(Extension, line));
            Assert.Equal(expected, SyntaxLines(result).Select(l => l.Replace(Extension, string.Empty)));
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser", "License", "LicenseViaIdentity")]
        [InlineData("Invoke-MgBetaLicenseUser", "License", "LicenseViaIdentity")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment", "Reprocess", "ReprocessViaIdentity")]
        [InlineData("Invoke-MgBetaLicenseUser2", "License", "LicenseViaIdentity")]
        public void ParametersBindAsTheSeedsParametersSectionSays(string cmdlet, string userSet, string identitySet)
        {
            using Session session = fixture.NewSession();

            // One line per parameter: name, sets, mandatory, position, ByValue, ByPropertyName, aliases.
            RunResult result = session.Run(
                "$c = Get-Command $name; $c.DefaultParameterSet; " +
                "foreach ($p in 'UserId', 'InputObject', 'Headers', 'ResponseHeadersVariable', 'WhatIf', 'Confirm') { " +
                "  $m = $c.Parameters[$p]; " +
                "  foreach ($s in $m.ParameterSets.Keys) { $a = $m.ParameterSets[$s]; " +
                "    '{0}|{1}|{2}|{3}|{4}|{5}|{6}|{7}' -f $p, $s, $a.IsMandatory, $a.Position, $a.ValueFromPipeline, $a.ValueFromPipelineByPropertyName, ($m.Aliases -join ','), $m.ParameterType.Name } }; " +
                "$c.OutputType.Name",
                new Dictionary<string, object?> { ["name"] = cmdlet });

            result.ThrowIfFailed();
            string[] lines = result.Output.Select(o => o.ToString()).ToArray();
            Assert.Equal(userSet, lines[0]);
            Assert.Contains($"UserId|{userSet}|True|-2147483648|False|False||String", lines);
            Assert.Contains($"InputObject|{identitySet}|True|-2147483648|True|False||IUsersActionsIdentity", lines);
            Assert.Contains("Headers|__AllParameterSets|False|-2147483648|True|False||IDictionary", lines);
            Assert.Contains("ResponseHeadersVariable|__AllParameterSets|False|-2147483648|False|False|RHV|String", lines);
            Assert.Contains("WhatIf|__AllParameterSets|False|-2147483648|False|False|wi|SwitchParameter", lines);
            Assert.Contains("Confirm|__AllParameterSets|False|-2147483648|False|False|cf|SwitchParameter", lines);
            Assert.Equal(1, lines.Count(l => l.StartsWith("UserId|", System.StringComparison.Ordinal)));
            Assert.Equal(1, lines.Count(l => l.StartsWith("InputObject|", System.StringComparison.Ordinal)));
        }

        [Fact]
        public void OutputTypesAreTheSdksNames()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run(
                "foreach ($n in 'Invoke-MgLicenseUser', 'Invoke-MgBetaLicenseUser', 'Invoke-MgBetaLicenseUser2', 'Invoke-MgBetaReprocessUserCloudLicensingAssignment') { (Get-Command $n).OutputType.Name }");

            result.ThrowIfFailed();
            Assert.Equal(
                new object[]
                {
                    "Microsoft.Graph.PowerShell.Models.IMicrosoftGraphUser",
                    "Microsoft.Graph.Beta.PowerShell.Models.IMicrosoftGraphUser",
                    "Microsoft.Graph.Beta.PowerShell.Models.IMicrosoftGraphUser",
                    "System.Boolean",
                },
                result.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void MeIsAMandatorySwitchOfItsOwnSet()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run(
                "$p = (Get-Command Invoke-MgBetaLicenseUser2).Parameters['Me']; $p.ParameterType.Name; ($p.ParameterSets.Keys -join ','); $p.ParameterSets['Me'].IsMandatory");

            result.ThrowIfFailed();
            Assert.Equal(new object[] { "SwitchParameter", "Me", true }, result.Output.Select(o => o.BaseObject));
        }

        private static string[] SyntaxLines(RunResult result) =>
            string.Join("\n", result.Output.Select(o => o.ToString()))
                .Split('\n')
                .Select(l => l.TrimEnd('\r'))
                .Where(l => l.Length > 0)
                .ToArray();

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
