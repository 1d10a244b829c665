// The real pages: docs/cmdlets compiles, every MgLicense cmdlet is in it, and each page meets the house rules.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;
using static MgLicense.HelpCompiler.Tests.SamplePage;

namespace MgLicense.HelpCompiler.Tests
{
    public sealed class CmdletDocsTests
    {
        private static readonly string[] Documented =
        {
            "Add-MgEnvironment",
            "Connect-MgGraph",
            "Disconnect-MgGraph",
            "Get-MgContext",
            "Get-MgEnvironment",
            "Get-MgGroup",
            "Get-MgGroupMember",
            "Get-MgGroupMemberWithLicenseError",
            "Get-MgRequestContext",
            "Get-MgSubscribedSku",
            "Get-MgUser",
            "Get-MgUserLicenseDetail",
            "Install-MgLicenseCompatibilityModule",
            "Invoke-MgBetaLicenseUser",
            "Invoke-MgBetaLicenseUser2",
            "Invoke-MgBetaReprocessUserCloudLicensingAssignment",
            "Invoke-MgGraphRequest",
            "Invoke-MgLicenseUser",
            "New-MgGroupMember",
            "Remove-MgEnvironment",
            "Remove-MgGroupMemberByRef",
            "Set-MgEnvironment",
            "Set-MgRequestContext",
            "Set-MgUserLicense",
            "Update-MgUser",
        };

        private static readonly Lazy<(XDocument Maml, byte[] Bytes, IReadOnlyList<CommandHelp> Commands)> Compiled = new(() =>
        {
            byte[] bytes = HelpCompilation.CompileDirectory(DocsDirectory, out IReadOnlyList<CommandHelp> commands);
            return (XDocument.Parse(Encoding.UTF8.GetString(bytes)), bytes, commands);
        });

        /// <summary>docs/cmdlets of the checkout these tests were built from.</summary>
        private static string DocsDirectory
        {
            get
            {
                for (DirectoryInfo? dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                {
                    string candidate = Path.Combine(dir.FullName, "docs", "cmdlets");
                    if (Directory.Exists(candidate) && Directory.Exists(Path.Combine(dir.FullName, "tools", "HelpCompiler")))
                    {
                        return candidate;
                    }
                }

                throw new DirectoryNotFoundException("docs/cmdlets not found above " + AppContext.BaseDirectory);
            }
        }

        private static string RepositoryRoot => Path.GetFullPath(Path.Combine(DocsDirectory, "..", ".."));

        [Fact]
        public void All_pages_compile_and_every_cmdlet_is_present()
        {
            string[] names = Compiled.Value.Maml.Root!.Elements(Command + "command")
                .Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value).ToArray();
            Assert.Equal(Documented, names);
        }

        [Fact]
        public void Every_cmdlet_the_module_exports_has_a_page()
        {
            string manifest = File.ReadAllText(Path.Combine(RepositoryRoot, "module", "MgLicense", "MgLicense.psd1"));
            Match exports = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\((?<list>[^)]*)\)");
            Assert.True(exports.Success, "CmdletsToExport not found in MgLicense.psd1");
            string[] exported = Regex.Matches(exports.Groups["list"].Value, @"'(?<name>[^']+)'").Select(m => m.Groups["name"].Value).ToArray();
            Assert.NotEmpty(exported);
            Assert.All(exported, name => Assert.Contains(name, Documented));
        }

        [Fact]
        public void Compiling_twice_gives_the_same_bytes()
        {
            byte[] again = HelpCompilation.CompileDirectory(DocsDirectory, out _);
            Assert.Equal(Compiled.Value.Bytes, again);
        }

        [Fact]
        public void Every_page_names_the_module_and_its_help_file()
        {
            Assert.All(Compiled.Value.Commands, c =>
            {
                Assert.Equal("MgLicense.dll-Help.xml", c.Metadata["external help file"]);
                Assert.Equal("MgLicense", c.Metadata["Module Name"]);
                Assert.Equal("2.0.0", c.Metadata["schema"]);
            });
        }

        [Fact]
        public void Every_page_has_a_synopsis_a_description_and_at_least_two_examples_with_remarks()
        {
            Assert.All(Compiled.Value.Commands, c =>
            {
                Assert.NotEmpty(c.Synopsis);
                Assert.NotEmpty(c.Description);
                Assert.True(c.Examples.Count >= 2, $"{c.Name} has {c.Examples.Count} example(s)");
                Assert.All(c.Examples, e =>
                {
                    Assert.Matches(@"^Example \d+: \S", e.Title);
                    Assert.NotEmpty(e.Code);
                    Assert.NotEmpty(e.Remarks);
                });
            });
        }

        [Fact]
        public void Every_parameter_has_a_description_and_no_placeholder_is_left()
        {
            Assert.All(Compiled.Value.Commands, c => Assert.All(c.Parameters, p => Assert.NotEmpty(p.Description)));
            string maml = Encoding.UTF8.GetString(Compiled.Value.Bytes);
            Assert.DoesNotContain("{{", maml);
            Assert.DoesNotContain("TODO", maml);
        }

        [Fact]
        public void The_reprocess_cmdlets_have_the_official_parameter_sets_and_aliases()
        {
            foreach (string name in new[] { "Invoke-MgLicenseUser", "Invoke-MgBetaLicenseUser", "Invoke-MgBetaLicenseUser2" })
            {
                CommandHelp c = Compiled.Value.Commands.Single(x => x.Name == name);
                Assert.Equal("License", c.Syntax.Single(s => s.IsDefault).Name);
                Assert.Contains(c.Syntax, s => s.Name == "LicenseViaIdentity");
                Assert.Equal(new[] { "RHV" }, c.FindParameter("ResponseHeadersVariable")!.Attributes[0].Aliases);
                Assert.Equal(new[] { "wi" }, c.FindParameter("WhatIf")!.Attributes[0].Aliases);
                Assert.Equal(new[] { "cf" }, c.FindParameter("Confirm")!.Attributes[0].Aliases);
                Assert.Equal(new[] { "proga" }, c.FindParameter("ProgressAction")!.Attributes[0].Aliases);
                Assert.Equal("True (ByValue)", c.FindParameter("InputObject")!.Attributes[0].PipelineInput);
                Assert.True(c.FindParameter("UserId")!.Attributes[0].Required);
            }

            CommandHelp me = Compiled.Value.Commands.Single(x => x.Name == "Invoke-MgBetaLicenseUser2");
            Assert.True(me.FindParameter("Me")!.AttributesFor("Me")!.Required);
            Assert.Contains(Compiled.Value.Commands.Single(x => x.Name == "Invoke-MgBetaReprocessUserCloudLicensingAssignment").Parameters, p => p.Name == "PassThru");
        }

        [Fact]
        public void Invoke_MgLicenseUser_documents_its_inputs_outputs_and_identity_keys()
        {
            CommandHelp c = Compiled.Value.Commands.Single(x => x.Name == "Invoke-MgLicenseUser");
            Assert.Equal(new[] { "MgLicense.Models.IUsersActionsIdentity", "System.Collections.IDictionary" }, c.Inputs.Select(i => i.TypeName));
            Assert.Equal(new[] { "Microsoft.Graph.PowerShell.Models.IMicrosoftGraphUser" }, c.Outputs.Select(o => o.TypeName));

            string notes = string.Join("\n", c.Notes);
            string[] keys =
            {
                "AuthenticationMethodId", "CalendarId", "ChatId", "ChatMessageId", "ChatMessageId1", "ContentTypeId",
                "DeviceLogCollectionResponseId", "DocumentSetVersionId", "DriveId", "DriveItemId", "DriveItemVersionId",
                "EventId", "EventId1", "ListItemId", "ListItemVersionId", "MailFolderId", "MailFolderId1", "ManagedDeviceId",
                "MessageId", "NotebookId", "OnenotePageId", "OnenoteSectionId", "OnlineMeetingId", "PermissionId",
                "PhoneAuthenticationMethodId", "SubscriptionId", "TeamsAppInstallationId", "TodoTaskId", "TodoTaskListId", "UserId",
            };
            Assert.All(keys, k => Assert.Contains($"`[{k} <String>]`: ", notes));
            Assert.Contains("InputObject has null value for InputObject.UserId", notes);
            Assert.Contains("[code] : message", notes);
        }
    }
}
