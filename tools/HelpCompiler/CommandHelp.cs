// The help of one cmdlet as read from its markdown page: what the MAML writer needs, nothing about markdown.
using System.Collections.Generic;

namespace MgLicense.HelpCompiler
{
    /// <summary>One cmdlet's help page.</summary>
    public sealed class CommandHelp
    {
        public CommandHelp(string name, string sourcePath)
        {
            Name = name;
            SourcePath = sourcePath;
        }

        /// <summary>The cmdlet name, from the page's title.</summary>
        public string Name { get; }

        /// <summary>The markdown file it came from, for messages.</summary>
        public string SourcePath { get; }

        public string Verb => Name.Contains('-') ? Name.Substring(0, Name.IndexOf('-')) : Name;

        public string Noun => Name.Contains('-') ? Name.Substring(Name.IndexOf('-') + 1) : string.Empty;

        /// <summary>The front matter's keys and values, as written.</summary>
        public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(System.StringComparer.Ordinal);

        public List<string> Synopsis { get; } = new List<string>();

        public List<string> Description { get; } = new List<string>();

        public List<SyntaxSet> Syntax { get; } = new List<SyntaxSet>();

        public List<ExampleHelp> Examples { get; } = new List<ExampleHelp>();

        /// <summary>The parameters in the order the PARAMETERS section lists them.</summary>
        public List<ParameterHelp> Parameters { get; } = new List<ParameterHelp>();

        /// <summary>True when the PARAMETERS section has a CommonParameters entry.</summary>
        public bool SupportsCommonParameters { get; set; }

        public List<TypeHelp> Inputs { get; } = new List<TypeHelp>();

        public List<TypeHelp> Outputs { get; } = new List<TypeHelp>();

        public List<string> Notes { get; } = new List<string>();

        public List<LinkHelp> Links { get; } = new List<LinkHelp>();

        public ParameterHelp? FindParameter(string name) =>
            Parameters.Find(p => string.Equals(p.Name, name, System.StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>One parameter set as its SYNTAX block shows it.</summary>
    public sealed class SyntaxSet
    {
        public SyntaxSet(string name, bool isDefault, int line)
        {
            Name = name;
            IsDefault = isDefault;
            Line = line;
        }

        public string Name { get; }

        public bool IsDefault { get; }

        public int Line { get; }

        /// <summary>The parameters in the order the syntax line shows them.</summary>
        public List<SyntaxParameter> Parameters { get; } = new List<SyntaxParameter>();

        public bool ShowsCommonParameters { get; set; }
    }

    /// <summary>A parameter as a syntax line shows it: required or in brackets, by name or by position, with its type.</summary>
    public sealed class SyntaxParameter
    {
        public SyntaxParameter(string name, bool required, bool positional, string? typeName)
        {
            Name = name;
            Required = required;
            Positional = positional;
            TypeName = typeName;
        }

        public string Name { get; }

        public bool Required { get; }

        public bool Positional { get; }

        /// <summary>The type in angle brackets, or null for a switch.</summary>
        public string? TypeName { get; }
    }

    /// <summary>A parameter's entry in PARAMETERS: its description and one or more yaml blocks.</summary>
    public sealed class ParameterHelp
    {
        public ParameterHelp(string name, int line)
        {
            Name = name;
            Line = line;
        }

        public string Name { get; }

        public int Line { get; }

        public List<string> Description { get; } = new List<string>();

        /// <summary>
        /// The yaml blocks. platyPS writes one per group of parameter sets that share the same attributes (a
        /// parameter can be mandatory in one set and optional in another).
        /// </summary>
        public List<ParameterAttributes> Attributes { get; } = new List<ParameterAttributes>();

        /// <summary>The attributes that apply in <paramref name="setName"/>, or null when the parameter is not in that set.</summary>
        public ParameterAttributes? AttributesFor(string setName) =>
            Attributes.Find(a => a.AllSets || a.Sets.Exists(s => string.Equals(s, setName, System.StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>One yaml block of a parameter.</summary>
    public sealed class ParameterAttributes
    {
        public ParameterAttributes(int line)
        {
            Line = line;
        }

        public int Line { get; }

        public string Type { get; set; } = string.Empty;

        /// <summary>True for "Parameter Sets: (All)".</summary>
        public bool AllSets { get; set; }

        public List<string> Sets { get; } = new List<string>();

        public List<string> Aliases { get; } = new List<string>();

        public bool Required { get; set; }

        /// <summary>"Named" or a zero-based position.</summary>
        public string Position { get; set; } = "Named";

        public string DefaultValue { get; set; } = "None";

        /// <summary>As written: "False", "True (ByValue)", "True (ByPropertyName)", "True (ByValue, ByPropertyName)".</summary>
        public string PipelineInput { get; set; } = "False";

        public bool AcceptsWildcards { get; set; }

        public bool IsSwitch => string.Equals(Type, "SwitchParameter", System.StringComparison.OrdinalIgnoreCase)
            || string.Equals(Type, "System.Management.Automation.SwitchParameter", System.StringComparison.OrdinalIgnoreCase);
    }

    public sealed class ExampleHelp
    {
        public ExampleHelp(string title)
        {
            Title = title;
        }

        /// <summary>The heading without "###", e.g. "Example 1: Reprocess one user".</summary>
        public string Title { get; }

        /// <summary>Text before the first code block.</summary>
        public List<string> Introduction { get; } = new List<string>();

        /// <summary>The code blocks, joined by a blank line.</summary>
        public string Code { get; set; } = string.Empty;

        /// <summary>Text after the first code block.</summary>
        public List<string> Remarks { get; } = new List<string>();
    }

    /// <summary>An INPUTS or OUTPUTS entry.</summary>
    public sealed class TypeHelp
    {
        public TypeHelp(string typeName)
        {
            TypeName = typeName;
        }

        public string TypeName { get; }

        public List<string> Description { get; } = new List<string>();
    }

    /// <summary>A RELATED LINKS entry; Uri is empty for links to other cmdlets' help.</summary>
    public sealed class LinkHelp
    {
        public LinkHelp(string text, string uri)
        {
            Text = text;
            Uri = uri;
        }

        public string Text { get; }

        public string Uri { get; }
    }
}
