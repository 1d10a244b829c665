// Get-Help for the reprocess cmdlets: what a user reads comes from the MAML the build compiled from docs/cmdlets.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Xml.Linq;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class HelpTests
    {
        private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
        private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        private readonly PowerShellFixture fixture;

        public HelpTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        public static IEnumerable<object[]> Cmdlets => new[]
        {
            new object[] { "Invoke-MgLicenseUser", 2 },
            new object[] { "Invoke-MgBetaLicenseUser", 2 },
            new object[] { "Invoke-MgBetaReprocessUserCloudLicensingAssignment", 2 },
            new object[] { "Invoke-MgBetaLicenseUser2", 3 },
        };

        [Theory]
        [MemberData(nameof(Cmdlets))]
        public void GetHelpFullShowsTheCompiledHelp(string cmdlet, int sets)
        {
            XElement maml = MamlCommand(cmdlet);
            using Session session = fixture.NewSession();

            RunResult result = session.Run(
                "$h = Get-Help $name -Full; " +
                "$h.Synopsis; " +
                "($h.description | ForEach-Object { $_.Text }) -join \"`n\"; " +
                "@($h.syntax.syntaxItem).Count; " +
                "(@($h.parameters.parameter) | ForEach-Object { '{0}:{1}:{2}' -f $_.name, $_.required, $_.pipelineInput }) -join ','; " +
                "(@($h.inputTypes.inputType) | ForEach-Object { $_.type.name }) -join ','; " +
                "(@($h.returnValues.returnValue) | ForEach-Object { $_.type.name }) -join ','; " +
                "(@($h.alertSet.alert) | ForEach-Object { $_.Text }) -join \"`n\"; " +
                "@($h.examples.example).Count; " +
                "(@($h.examples.example) | ForEach-Object { $_.code }) -join \"`n\"",
                new Dictionary<string, object?> { ["name"] = cmdlet });

            result.ThrowIfFailed();
            string[] help = result.Output.Select(o => o?.ToString() ?? string.Empty).ToArray();
            Assert.Equal(9, help.Length);

            Assert.Equal(Paras(maml.Element(Command + "details")!.Element(Maml + "description")!), help[0]);
            Assert.Equal(Lines(Paras(maml.Element(Maml + "description")!)), Lines(help[1]));
            Assert.Equal(sets.ToString(), help[2]);

            string[] parameters = help[3].Split(',');
            Assert.Contains("UserId:true:False", parameters);
            Assert.Contains("InputObject:true:True (ByValue)", parameters);
            Assert.Contains("Headers:false:True (ByValue)", parameters);
            Assert.Contains("ResponseHeadersVariable:false:False", parameters);
            Assert.Contains("WhatIf:false:False", parameters);
            Assert.Contains("Confirm:false:False", parameters);
            Assert.Equal(
                maml.Element(Command + "parameters")!.Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value),
                parameters.Select(p => p.Split(':')[0]));

            Assert.Contains("MgLicense.Models.IUsersActionsIdentity", help[4].Split(','));
            Assert.Equal(
                maml.Element(Command + "returnValues")!.Elements(Command + "returnValue").Select(r => r.Element(Dev + "type")!.Element(Maml + "name")!.Value),
                help[5].Split(','));
            Assert.Contains("InputObject has null value for InputObject.UserId", help[6]);
            Assert.True(int.Parse(help[7]) >= 2, $"{cmdlet} has {help[7]} examples");
            Assert.Contains(cmdlet, help[8]);
        }

        [Theory]
        [MemberData(nameof(Cmdlets))]
        public void TheHelpPrintsEverySection(string cmdlet, int sets)
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run("Get-Help $name -Full | Out-Host", new Dictionary<string, object?> { ["name"] = cmdlet });

            result.ThrowIfFailed();
            IReadOnlyList<string> lines = session.Console.Lines;
            foreach (string heading in new[] { "NAME", "SYNOPSIS", "SYNTAX", "DESCRIPTION", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES" })
            {
                Assert.Contains(heading, lines);
            }

            int syntax = IndexOf(lines, "SYNTAX");
            int description = IndexOf(lines, "DESCRIPTION");
            Assert.True(syntax < description);
            Assert.Equal(sets, lines.Skip(syntax).Take(description - syntax).Count(l => l.TrimStart().StartsWith(cmdlet + " -")));
            Assert.Contains(lines, l => l.Contains("Example 2"));
            Assert.Contains(lines, l => l.Trim() == "Accept pipeline input?       True (ByValue)");
        }

        private XElement MamlCommand(string cmdlet)
        {
            string path = Path.Combine(fixture.RepoRoot, "out", "MgLicense", "en-US", "MgLicense.dll-Help.xml");
            Assert.True(File.Exists(path), path + " is missing: the build compiles docs/cmdlets into it.");
            XDocument document = XDocument.Load(path);
            return document.Root!.Elements(Command + "command")
                .Single(c => c.Element(Command + "details")!.Element(Command + "name")!.Value == cmdlet);
        }

        private static int IndexOf(IReadOnlyList<string> lines, string line) =>
            lines.Select((l, i) => (l, i)).First(x => x.l == line).i;

        /// <summary>The non-blank lines of a text: Get-Help separates paragraphs with a blank line, the MAML does not.</summary>
        private static string[] Lines(string text) =>
            text.Replace("\r", string.Empty).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

        private static string Paras(XElement description) =>
            string.Join("\n", description.Elements(Maml + "para").Select(p => p.Value));
    }
}
