// A broken page must stop the build with a message that names the file and the line to fix.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;
using static MgLicense.HelpCompiler.Tests.SamplePage;

namespace MgLicense.HelpCompiler.Tests
{
    public sealed class MalformedPageTests
    {
        [Fact]
        public void A_missing_section_is_named_at_the_title_line()
        {
            string page = Cut(SamplePage.Text, "## NOTES", "## RELATED LINKS");
            HelpDiagnostic error = Assert.Single(Errors(page));
            Assert.Equal(SamplePage.PagePath, error.File);
            Assert.Equal(LineOf(page, "# Invoke-MgSample"), error.Line);
            Assert.Contains("missing section '## NOTES'", error.Message);
            Assert.Equal($"{SamplePage.PagePath}({error.Line}): error: missing section '## NOTES'", error.ToString());
        }

        [Fact]
        public void A_parameter_without_its_yaml_block_is_refused_at_its_heading()
        {
            string page = SamplePage.Text.Replace("Skips the question.\n\n```yaml", "Skips the question.\n\n```text");
            HelpDiagnostic error = Errors(page).First();
            Assert.Equal(LineOf(page, "### -Force"), error.Line);
            Assert.Contains("-Force has no ```yaml block", error.Message);
        }

        [Fact]
        public void A_parameter_in_the_syntax_but_not_under_parameters_is_refused()
        {
            string page = Cut(SamplePage.Text, "### -Force", "### -Id");
            IReadOnlyList<HelpDiagnostic> errors = Errors(page);
            Assert.Contains(errors, e => e.Line == LineOf(page, "### ById") && e.Message == "-Force is in the syntax of set 'ById' but not under ## PARAMETERS");
            Assert.Contains(errors, e => e.Line == LineOf(page, "### ByObject") && e.Message == "-Force is in the syntax of set 'ByObject' but not under ## PARAMETERS");
        }

        [Fact]
        public void A_parameter_under_parameters_but_in_no_syntax_is_refused()
        {
            string page = SamplePage.Text.Replace(" [-Force] [-WhatIf]", " [-WhatIf]");
            HelpDiagnostic error = Assert.Single(Errors(page));
            Assert.Equal(LineOf(page, "### -Force"), error.Line);
            Assert.Equal("-Force is under ## PARAMETERS but in no syntax block of ## SYNTAX", error.Message);
        }

        [Fact]
        public void A_parameter_set_that_the_syntax_does_not_have_is_refused()
        {
            string page = SamplePage.Text.Replace("Parameter Sets: ByObject", "Parameter Sets: ByIdentity");
            IReadOnlyList<HelpDiagnostic> errors = Errors(page);
            Assert.Contains(errors, e => e.Message == "-InputObject names parameter set 'ByIdentity', which ## SYNTAX does not have");
            Assert.Contains(errors, e => e.Message.StartsWith("-InputObject is in the syntax of set 'ByObject' but its 'Parameter Sets:' does not name 'ByObject'"));
        }

        [Fact]
        public void Required_position_and_type_must_agree_with_the_syntax()
        {
            string page = SamplePage.Text.Replace("Invoke-MgSample -InputObject <IUsersActionsIdentity>", "Invoke-MgSample [-InputObject <Hashtable>]");
            string[] messages = Errors(page).Select(e => e.Message).ToArray();
            Assert.Contains("-InputObject is 'Required: True' but the syntax of set 'ByObject' shows it in brackets", messages);
            Assert.Contains("-InputObject has 'Type: IUsersActionsIdentity' but the syntax of set 'ByObject' shows <Hashtable>", messages);

            page = SamplePage.Text.Replace("Invoke-MgSample [-Id] <String>", "Invoke-MgSample -Id <String>");
            Assert.Contains("-Id is 'Position: 0' but the syntax of set 'ById' shows it by name", Errors(page).Select(e => e.Message));
        }

        [Fact]
        public void A_yaml_block_with_a_missing_key_or_a_bad_value_is_refused_at_that_line()
        {
            string missing = SamplePage.Text.Replace("Type: String\nParameter Sets: ById\n", "Parameter Sets: ById\n");
            HelpDiagnostic error = Assert.Single(Errors(missing));
            Assert.Equal(LineOf(missing, "```yaml", occurrence: 2), error.Line);
            Assert.Equal("parameter -Id: the yaml block has no 'Type:'", error.Message);

            string bad = SamplePage.Text.Replace("Accept pipeline input: True (ByValue)", "Accept pipeline input: Yes");
            error = Assert.Single(Errors(bad));
            Assert.Equal(LineOf(bad, "Accept pipeline input: Yes"), error.Line);
            Assert.Contains("must be False, True (ByValue)", error.Message);
        }

        [Fact]
        public void A_code_block_that_is_never_closed_is_reported_where_it_opens()
        {
            string page = SamplePage.Text.Replace("It runs once.\n", "It runs once.\n\n```powershell\nGet-Thing\n");
            page = page.Substring(0, page.IndexOf("### Example 2", System.StringComparison.Ordinal));
            HelpDiagnostic error = Assert.Single(Errors(page));
            Assert.Equal(LineOf(page, "Get-Thing") - 1, error.Line);
            Assert.Contains("never closed", error.Message);
        }

        [Fact]
        public void Front_matter_title_and_examples_are_required()
        {
            Assert.Contains(Errors(SamplePage.Text.Replace("Module Name: MgLicense\n", string.Empty)), e => e.Line == 1 && e.Message == "front matter has no 'Module Name:'");
            Assert.Contains(Errors(SamplePage.Text.Replace("schema: 2.0.0", "schema: 1.0.0")), e => e.Message.Contains("'schema: 2.0.0'"));
            Assert.Contains(Errors(SamplePage.Text, "docs/cmdlets/Invoke-MgOther.md"), e => e.Message.Contains("does not match the file name 'Invoke-MgOther.md'"));

            string noExamples = Cut(SamplePage.Text, "### Example 1", "## PARAMETERS");
            Assert.Contains(Errors(noExamples), e => e.Line == LineOf(noExamples, "## EXAMPLES") && e.Message.StartsWith("## EXAMPLES has no example"));
        }

        [Fact]
        public void Unknown_and_repeated_sections_are_refused()
        {
            string page = SamplePage.Text.Replace("## NOTES", "## REMARKS");
            Assert.Contains(Errors(page), e => e.Line == LineOf(page, "## REMARKS") && e.Message.StartsWith("unknown section '## REMARKS'"));

            page = SamplePage.Text + "\n## SYNOPSIS\nAgain.\n";
            Assert.Contains(Errors(page), e => e.Line == LineOf(page, "## SYNOPSIS", occurrence: 2) && e.Message == "section '## SYNOPSIS' appears twice");
        }

        [Fact]
        public void Every_problem_of_every_page_is_reported_and_nothing_is_written()
        {
            string directory = Path.Combine(Path.GetTempPath(), "helpcompiler-" + System.Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                File.WriteAllText(Path.Combine(directory, "Invoke-MgSample.md"), Cut(SamplePage.Text, "## NOTES", "## RELATED LINKS"));
                File.WriteAllText(Path.Combine(directory, "Get-MgSample.md"), SamplePage.Text.Replace("Invoke-MgSample", "Get-MgSample").Replace("Type: String\n", string.Empty));
                string output = Path.Combine(directory, "out", "MgLicense.dll-Help.xml");

                var error = Assert.Throws<HelpCompilationException>(() => HelpCompilation.CompileDirectory(directory, output));
                Assert.Equal(new[] { "Get-MgSample.md", "Invoke-MgSample.md" }, error.Diagnostics.Select(d => Path.GetFileName(d.File)).Distinct());
                Assert.False(File.Exists(output));

                Assert.Equal(1, Program.Main(new[] { directory, output }));
                Assert.False(File.Exists(output));
                Assert.Equal(2, Program.Main(new[] { Path.Combine(directory, "missing"), output }));
                Assert.Equal(2, Program.Main(new[] { directory }));
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        /// <summary>The page without the lines from <paramref name="from"/> up to (not including) <paramref name="to"/>.</summary>
        private static string Cut(string page, string from, string to)
        {
            int start = page.IndexOf(from, System.StringComparison.Ordinal);
            int end = page.IndexOf(to, start, System.StringComparison.Ordinal);
            return page.Substring(0, start) + page.Substring(end);
        }
    }
}
