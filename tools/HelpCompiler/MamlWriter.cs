// Writes CommandHelp pages as one MAML file, the format Get-Help reads from <culture>/<Assembly>.dll-Help.xml.
// The layout follows what platyPS produces, so PowerShell renders it exactly as it renders other modules' help.
// Output is deterministic: fixed order, "\n" line ends, UTF-8 without a byte order mark, no timestamps.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;

namespace MgLicense.HelpCompiler
{
    public static class MamlWriter
    {
        public const string MshNamespace = "http://msh";
        public const string MamlNamespace = "http://schemas.microsoft.com/maml/2004/10";
        public const string CommandNamespace = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        public const string DevNamespace = "http://schemas.microsoft.com/maml/dev/2004/10";
        public const string MSHelpNamespace = "http://msdn.microsoft.com/mshelp";

        /// <summary>The MAML document for the given pages, ordered by cmdlet name.</summary>
        public static byte[] Write(IEnumerable<CommandHelp> commands)
        {
            var settings = new XmlWriterSettings
            {
                Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
                Indent = true,
                IndentChars = "  ",
                NewLineChars = "\n",
                NewLineHandling = NewLineHandling.Replace,
                CheckCharacters = true,
            };

            using var buffer = new MemoryStream();
            using (XmlWriter xml = XmlWriter.Create(buffer, settings))
            {
                xml.WriteStartDocument();
                xml.WriteStartElement("helpItems", MshNamespace);
                xml.WriteAttributeString("schema", "maml");
                foreach (CommandHelp command in commands.OrderBy(c => c.Name, StringComparer.Ordinal))
                {
                    WriteCommand(xml, command);
                }

                xml.WriteEndElement();
                xml.WriteEndDocument();
            }

            buffer.WriteByte((byte)'\n');
            return buffer.ToArray();
        }

        private static void WriteCommand(XmlWriter xml, CommandHelp command)
        {
            xml.WriteStartElement("command", "command", CommandNamespace);
            xml.WriteAttributeString("xmlns", "maml", null, MamlNamespace);
            xml.WriteAttributeString("xmlns", "command", null, CommandNamespace);
            xml.WriteAttributeString("xmlns", "dev", null, DevNamespace);
            xml.WriteAttributeString("xmlns", "MSHelp", null, MSHelpNamespace);

            xml.WriteStartElement("command", "details", CommandNamespace);
            xml.WriteElementString("command", "name", CommandNamespace, command.Name);
            xml.WriteElementString("command", "verb", CommandNamespace, command.Verb);
            xml.WriteElementString("command", "noun", CommandNamespace, command.Noun);
            WriteDescription(xml, command.Synopsis);
            xml.WriteEndElement();

            WriteDescription(xml, command.Description);

            xml.WriteStartElement("command", "syntax", CommandNamespace);
            foreach (SyntaxSet set in command.Syntax)
            {
                xml.WriteStartElement("command", "syntaxItem", CommandNamespace);
                xml.WriteElementString("maml", "name", MamlNamespace, command.Name);
                foreach (SyntaxParameter shown in set.Parameters)
                {
                    ParameterHelp? parameter = command.FindParameter(shown.Name);
                    ParameterAttributes? attributes = parameter?.AttributesFor(set.Name);
                    if (parameter is not null && attributes is not null)
                    {
                        WriteParameter(xml, parameter, attributes, inSyntax: true);
                    }
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();

            xml.WriteStartElement("command", "parameters", CommandNamespace);
            foreach (ParameterHelp parameter in command.Parameters)
            {
                if (parameter.Attributes.Count > 0)
                {
                    WriteParameter(xml, parameter, MergedAttributes(parameter), inSyntax: false);
                }
            }

            xml.WriteEndElement();

            WriteTypes(xml, "inputTypes", "inputType", command.Inputs);
            WriteTypes(xml, "returnValues", "returnValue", command.Outputs);

            xml.WriteStartElement("maml", "alertSet", MamlNamespace);
            xml.WriteStartElement("maml", "alert", MamlNamespace);
            WriteParagraphs(xml, command.Notes);
            xml.WriteEndElement();
            xml.WriteEndElement();

            xml.WriteStartElement("command", "examples", CommandNamespace);
            foreach (ExampleHelp example in command.Examples)
            {
                xml.WriteStartElement("command", "example", CommandNamespace);
                xml.WriteElementString("maml", "title", MamlNamespace, ExampleTitle(example.Title));
                if (example.Introduction.Count > 0)
                {
                    xml.WriteStartElement("maml", "introduction", MamlNamespace);
                    WriteParagraphs(xml, example.Introduction);
                    xml.WriteEndElement();
                }

                xml.WriteElementString("dev", "code", DevNamespace, example.Code);
                xml.WriteStartElement("dev", "remarks", DevNamespace);
                WriteParagraphs(xml, example.Remarks);
                xml.WriteEndElement();
                xml.WriteEndElement();
            }

            xml.WriteEndElement();

            xml.WriteStartElement("command", "relatedLinks", CommandNamespace);
            foreach (LinkHelp link in command.Links)
            {
                xml.WriteStartElement("maml", "navigationLink", MamlNamespace);
                xml.WriteElementString("maml", "linkText", MamlNamespace, link.Text);
                xml.WriteElementString("maml", "uri", MamlNamespace, link.Uri);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();

            xml.WriteEndElement();
        }

        /// <summary>"Example 1: Reprocess one user" becomes the banner Get-Help prints above each example.</summary>
        public static string ExampleTitle(string title) => "-------------------------- " + title + " --------------------------";

        /// <summary>
        /// The parameter as the PARAMETERS list shows it: the first block's attributes, except that it counts as
        /// required only when it is required in every set it belongs to, as Get-Help's "Required?" line means.
        /// </summary>
        private static ParameterAttributes MergedAttributes(ParameterHelp parameter)
        {
            ParameterAttributes first = parameter.Attributes[0];
            if (parameter.Attributes.Count == 1)
            {
                return first;
            }

            var merged = new ParameterAttributes(first.Line)
            {
                Type = first.Type,
                AllSets = first.AllSets,
                Required = parameter.Attributes.TrueForAll(a => a.Required),
                Position = first.Position,
                DefaultValue = first.DefaultValue,
                PipelineInput = first.PipelineInput,
                AcceptsWildcards = first.AcceptsWildcards,
            };
            merged.Aliases.AddRange(first.Aliases);
            return merged;
        }

        private static void WriteParameter(XmlWriter xml, ParameterHelp parameter, ParameterAttributes attributes, bool inSyntax)
        {
            xml.WriteStartElement("command", "parameter", CommandNamespace);
            xml.WriteAttributeString("required", attributes.Required ? "true" : "false");
            xml.WriteAttributeString("variableLength", "true");
            xml.WriteAttributeString("globbing", attributes.AcceptsWildcards ? "true" : "false");
            xml.WriteAttributeString("pipelineInput", attributes.PipelineInput);
            xml.WriteAttributeString("position", attributes.Position == "Named" ? "named" : attributes.Position);
            xml.WriteAttributeString("aliases", attributes.Aliases.Count == 0 ? "none" : string.Join(", ", attributes.Aliases));
            xml.WriteElementString("maml", "name", MamlNamespace, parameter.Name);
            WriteDescription(xml, parameter.Description);

            // A switch takes no value: the syntax line shows [-WhatIf], not [-WhatIf <SwitchParameter>].
            if (!(inSyntax && attributes.IsSwitch))
            {
                xml.WriteStartElement("command", "parameterValue", CommandNamespace);
                xml.WriteAttributeString("required", attributes.IsSwitch ? "false" : "true");
                xml.WriteAttributeString("variableLength", "false");
                xml.WriteString(attributes.Type);
                xml.WriteEndElement();
            }

            xml.WriteStartElement("dev", "type", DevNamespace);
            xml.WriteElementString("maml", "name", MamlNamespace, attributes.Type);
            xml.WriteElementString("maml", "uri", MamlNamespace, string.Empty);
            xml.WriteEndElement();
            xml.WriteElementString("dev", "defaultValue", DevNamespace, attributes.DefaultValue);
            xml.WriteEndElement();
        }

        private static void WriteTypes(XmlWriter xml, string listName, string itemName, List<TypeHelp> types)
        {
            xml.WriteStartElement("command", listName, CommandNamespace);
            foreach (TypeHelp type in types)
            {
                xml.WriteStartElement("command", itemName, CommandNamespace);
                xml.WriteStartElement("dev", "type", DevNamespace);
                xml.WriteElementString("maml", "name", MamlNamespace, type.TypeName);
                xml.WriteEndElement();
                WriteDescription(xml, type.Description);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        private static void WriteDescription(XmlWriter xml, List<string> paragraphs)
        {
            xml.WriteStartElement("maml", "description", MamlNamespace);
            WriteParagraphs(xml, paragraphs);
            xml.WriteEndElement();
        }

        private static void WriteParagraphs(XmlWriter xml, List<string> paragraphs)
        {
            if (paragraphs.Count == 0)
            {
                xml.WriteElementString("maml", "para", MamlNamespace, string.Empty);
                return;
            }

            foreach (string paragraph in paragraphs)
            {
                xml.WriteElementString("maml", "para", MamlNamespace, paragraph);
            }
        }
    }
}
