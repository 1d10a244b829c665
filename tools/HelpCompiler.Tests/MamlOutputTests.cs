// What Get-Help will read: the MAML written for the sample page, element by element.
using System.Linq;
using System.Xml.Linq;
using Xunit;
using static MgLicense.HelpCompiler.Tests.SamplePage;

namespace MgLicense.HelpCompiler.Tests
{
    public sealed class MamlOutputTests
    {
        private readonly XDocument maml = Compile((SamplePage.PagePath, SamplePage.Text));

        private XElement Sample => CommandElement(maml, "Invoke-MgSample");

        [Fact]
        public void The_root_is_a_maml_help_items_element()
        {
            Assert.Equal(Msh + "helpItems", maml.Root!.Name);
            Assert.Equal("maml", (string?)maml.Root.Attribute("schema"));
            Assert.Single(maml.Root.Elements(Command + "command"));
        }

        [Fact]
        public void Details_carry_name_verb_noun_and_synopsis()
        {
            XElement details = Sample.Element(Command + "details")!;
            Assert.Equal("Invoke-MgSample", details.Element(Command + "name")!.Value);
            Assert.Equal("Invoke", details.Element(Command + "verb")!.Value);
            Assert.Equal("MgSample", details.Element(Command + "noun")!.Value);
            Assert.Equal(new[] { "Does one sample thing." }, Paras(details.Element(Maml + "description")));
        }

        [Fact]
        public void Description_paragraphs_are_joined_like_markdown_and_links_are_readable_in_a_console()
        {
            Assert.Equal(
                new[]
                {
                    "First paragraph, continued on a second line.",
                    "Second paragraph with a link (https://example.com/doc) and a Get-Help reference.",
                },
                Paras(Sample.Element(Maml + "description")));
        }

        [Fact]
        public void Syntax_has_one_item_per_parameter_set_with_its_parameters_in_order()
        {
            XElement[] items = Sample.Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToArray();
            Assert.Equal(2, items.Length);
            Assert.All(items, i => Assert.Equal("Invoke-MgSample", i.Element(Maml + "name")!.Value));
            Assert.Equal(new[] { "Id", "Force", "WhatIf" }, ParameterNames(items[0]));
            Assert.Equal(new[] { "InputObject", "Force", "WhatIf" }, ParameterNames(items[1]));
        }

        [Fact]
        public void Syntax_parameters_carry_their_attributes_and_value_type()
        {
            XElement byId = Sample.Element(Command + "syntax")!.Elements(Command + "syntaxItem").First();
            XElement id = Parameter(byId, "Id");
            Assert.Equal("true", (string?)id.Attribute("required"));
            Assert.Equal("0", (string?)id.Attribute("position"));
            Assert.Equal("true", (string?)id.Attribute("globbing"));
            Assert.Equal("False", (string?)id.Attribute("pipelineInput"));
            Assert.Equal("UserId, ObjectId", (string?)id.Attribute("aliases"));
            Assert.Equal("String", id.Element(Command + "parameterValue")!.Value);
            Assert.Equal("true", (string?)id.Element(Command + "parameterValue")!.Attribute("required"));
            Assert.Equal("String", id.Element(Dev + "type")!.Element(Maml + "name")!.Value);

            XElement byObject = Sample.Element(Command + "syntax")!.Elements(Command + "syntaxItem").Last();
            XElement input = Parameter(byObject, "InputObject");
            Assert.Equal("True (ByValue)", (string?)input.Attribute("pipelineInput"));
            Assert.Equal("named", (string?)input.Attribute("position"));
            Assert.Equal("none", (string?)input.Attribute("aliases"));
        }

        [Fact]
        public void A_switch_has_no_value_in_the_syntax_but_says_its_type_in_the_parameter_list()
        {
            XElement force = Parameter(Sample.Element(Command + "syntax")!.Elements(Command + "syntaxItem").First(), "Force");
            Assert.Null(force.Element(Command + "parameterValue"));
            Assert.Equal("SwitchParameter", force.Element(Dev + "type")!.Element(Maml + "name")!.Value);

            XElement listed = Parameter(Sample.Element(Command + "parameters")!, "Force");
            Assert.Equal("SwitchParameter", listed.Element(Command + "parameterValue")!.Value);
            Assert.Equal("false", (string?)listed.Element(Command + "parameterValue")!.Attribute("required"));
        }

        [Fact]
        public void The_parameter_list_has_every_parameter_once_with_description_and_default()
        {
            XElement parameters = Sample.Element(Command + "parameters")!;
            Assert.Equal(new[] { "Force", "Id", "InputObject", "WhatIf" }, ParameterNames(parameters));
            Assert.Equal(new[] { "The id." }, Paras(Parameter(parameters, "Id").Element(Maml + "description")));
            Assert.Equal("None", Parameter(parameters, "Id").Element(Dev + "defaultValue")!.Value);
            Assert.Equal("False", Parameter(parameters, "WhatIf").Element(Dev + "defaultValue")!.Value);
            Assert.Equal("wi", (string?)Parameter(parameters, "WhatIf").Attribute("aliases"));
        }

        [Fact]
        public void Inputs_outputs_and_notes_are_written()
        {
            XElement input = Sample.Element(Command + "inputTypes")!.Element(Command + "inputType")!;
            Assert.Equal("MgLicense.Models.IUsersActionsIdentity", input.Element(Dev + "type")!.Element(Maml + "name")!.Value);
            Assert.Equal(new[] { "An identity." }, Paras(input.Element(Maml + "description")));

            XElement output = Sample.Element(Command + "returnValues")!.Element(Command + "returnValue")!;
            Assert.Equal("System.Boolean", output.Element(Dev + "type")!.Element(Maml + "name")!.Value);

            string[] notes = Paras(Sample.Element(Maml + "alertSet")!.Element(Maml + "alert")).ToArray();
            Assert.Equal("KEYS", notes[0]);
            // List items keep their line breaks, so the identity keys stay one per line in the console.
            Assert.Equal("INPUTOBJECT `<IUsersActionsIdentity>`: the identity\n  - `[UserId <String>]`: the user\n  - `[Id <String>]`: also the user", notes[1]);
        }

        [Fact]
        public void Examples_have_the_banner_title_the_code_and_the_remarks()
        {
            XElement[] examples = Sample.Element(Command + "examples")!.Elements(Command + "example").ToArray();
            Assert.Equal(2, examples.Length);
            Assert.Equal("-------------------------- Example 1: Run it once --------------------------", examples[0].Element(Maml + "title")!.Value);
            Assert.Equal("Invoke-MgSample -Id 'a & b'", examples[0].Element(Dev + "code")!.Value);
            Assert.Equal(new[] { "It runs once." }, Paras(examples[0].Element(Dev + "remarks")));

            Assert.Equal(new[] { "Before the code." }, Paras(examples[1].Element(Maml + "introduction")));
            Assert.Equal("@{ UserId = 'u' } | Invoke-MgSample\n\ndone", examples[1].Element(Dev + "code")!.Value);
            Assert.Equal(new[] { "After the code." }, Paras(examples[1].Element(Dev + "remarks")));
        }

        [Fact]
        public void Related_links_keep_text_and_uri()
        {
            XElement[] links = Sample.Element(Command + "relatedLinks")!.Elements(Maml + "navigationLink").ToArray();
            Assert.Equal(new[] { "Invoke-MgLicenseUser", "Sample docs" }, links.Select(l => l.Element(Maml + "linkText")!.Value));
            Assert.Equal(new[] { string.Empty, "https://example.com/sample" }, links.Select(l => l.Element(Maml + "uri")!.Value));
        }

        [Fact]
        public void The_output_is_the_same_bytes_whatever_the_order_of_the_pages()
        {
            string other = SamplePage.Text.Replace("Invoke-MgSample", "Get-MgSample");
            byte[] first = MamlWriter.Write(HelpCompilation.Parse(new[] { (SamplePage.PagePath, SamplePage.Text), ("docs/cmdlets/Get-MgSample.md", other) }));
            byte[] second = MamlWriter.Write(HelpCompilation.Parse(new[] { ("docs/cmdlets/Get-MgSample.md", other), (SamplePage.PagePath, SamplePage.Text) }));
            Assert.Equal(first, second);
            Assert.DoesNotContain((byte)'\r', first);
            Assert.False(first.Length >= 3 && first[0] == 0xEF && first[1] == 0xBB && first[2] == 0xBF, "no byte order mark");

            XDocument maml = XDocument.Parse(System.Text.Encoding.UTF8.GetString(first));
            Assert.Equal(
                new[] { "Get-MgSample", "Invoke-MgSample" },
                maml.Root!.Elements(Command + "command").Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value));
        }

        [Fact]
        public void Windows_line_ends_in_a_page_make_no_difference()
        {
            byte[] unix = MamlWriter.Write(HelpCompilation.Parse(new[] { (SamplePage.PagePath, SamplePage.Text) }));
            byte[] windows = MamlWriter.Write(HelpCompilation.Parse(new[] { (SamplePage.PagePath, SamplePage.Text.Replace("\n", "\r\n")) }));
            Assert.Equal(unix, windows);
        }

        private static XElement Parameter(XElement parent, string name) =>
            parent.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == name);

        private static string[] ParameterNames(XElement parent) =>
            parent.Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value).ToArray();
    }
}
