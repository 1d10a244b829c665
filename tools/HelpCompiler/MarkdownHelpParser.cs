// Reads one platyPS-format (schema 2.0.0) cmdlet page into a CommandHelp and checks that it is complete
// and that SYNTAX and PARAMETERS agree, so a help mistake fails the build instead of reaching Get-Help.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace MgLicense.HelpCompiler
{
    public sealed class MarkdownHelpParser
    {
        /// <summary>The sections every page has, in the order platyPS writes them.</summary>
        public static readonly IReadOnlyList<string> RequiredSections = new[]
        {
            "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS",
        };

        private static readonly string[] RequiredMetadata = { "external help file", "Module Name", "schema" };

        private static readonly string[] YamlKeys =
        {
            "Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value", "Accept pipeline input",
            "Accept wildcard characters",
        };

        // platyPS writes "Applicable:" for multi-version docs; it carries nothing MAML has a place for.
        private static readonly string[] IgnoredYamlKeys = { "Applicable" };

        private static readonly Regex Heading = new Regex(@"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", RegexOptions.CultureInvariant);
        private static readonly Regex Fence = new Regex(@"^[ ]{0,3}(```+|~~~+)[ \t]*([^`\s]*)", RegexOptions.CultureInvariant);
        private static readonly Regex SetHeading = new Regex(@"^(?<name>[^()]+?)(?:[ \t]+\((?<default>Default)\))?$", RegexOptions.CultureInvariant);
        private static readonly Regex ParameterHeading = new Regex(@"^-(?<name>[A-Za-z_][A-Za-z0-9_]*)$", RegexOptions.CultureInvariant);
        private static readonly Regex SyntaxToken = new Regex(@"\[|\]|<[^<>]*>|-[A-Za-z_][A-Za-z0-9_]*|[^\s\[\]<>]+", RegexOptions.CultureInvariant);
        private static readonly Regex LinkLine = new Regex(@"^\[(?<text>[^\]]+)\]\((?<uri>[^()\s]*)\)$", RegexOptions.CultureInvariant);
        private static readonly Regex InlineLink = new Regex(@"\[(?<text>[^\]]+)\]\((?<uri>[^()\s]*)\)", RegexOptions.CultureInvariant);
        private static readonly Regex ListItem = new Regex(@"^\s*([-*+]|\d+[.)])\s", RegexOptions.CultureInvariant);
        private static readonly Regex PipelineInput = new Regex(@"^(False|True \((ByValue|ByPropertyName|ByValue, ByPropertyName)\))$", RegexOptions.CultureInvariant);

        private readonly string path;
        private readonly List<HelpDiagnostic> diagnostics;

        private MarkdownHelpParser(string path, List<HelpDiagnostic> diagnostics)
        {
            this.path = path;
            this.diagnostics = diagnostics;
        }

        /// <summary>
        /// Parses one page. Problems are added to <paramref name="diagnostics"/>; the result is null when the page
        /// is too broken to describe a command at all.
        /// </summary>
        public static CommandHelp? Parse(string path, string text, List<HelpDiagnostic> diagnostics)
        {
            return new MarkdownHelpParser(path, diagnostics).Parse(text);
        }

        private void Error(int line, string message) => diagnostics.Add(new HelpDiagnostic(path, line, message));

        private CommandHelp? Parse(string text)
        {
            string[] lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
            if (lines.Length > 0 && lines[0].Length > 0 && lines[0][0] == '\uFEFF')
            {
                lines[0] = lines[0].Substring(1);
            }

            var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
            int bodyStart = ReadFrontMatter(lines, metadata);
            List<Block>? blocks = ReadBlocks(lines, bodyStart);
            if (blocks is null)
            {
                return null;
            }

            // The title: the first heading, a level-1 one naming the cmdlet.
            int index = 0;
            SkipBlank(blocks, ref index);
            if (index >= blocks.Count || blocks[index].Kind != BlockKind.Heading || blocks[index].Level != 1)
            {
                Error(index < blocks.Count ? blocks[index].Line : lines.Length, "expected the title '# <cmdlet name>' before anything else");
                return null;
            }

            Block title = blocks[index++];
            string name = title.Text.Trim();
            string expected = Path.GetFileNameWithoutExtension(path);
            if (!string.Equals(name, expected, StringComparison.Ordinal))
            {
                Error(title.Line, $"the title '# {name}' does not match the file name '{expected}.md'");
            }

            var help = new CommandHelp(name, path);
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                help.Metadata[pair.Key] = pair.Value;
            }

            Dictionary<string, Section> sections = ReadSections(blocks, index);
            foreach (string required in RequiredSections)
            {
                if (!sections.ContainsKey(required))
                {
                    Error(title.Line, $"missing section '## {required}'");
                }
            }

            if (sections.TryGetValue("SYNOPSIS", out Section? synopsis))
            {
                help.Synopsis.AddRange(Paragraphs(synopsis, allowEmpty: false));
            }

            if (sections.TryGetValue("SYNTAX", out Section? syntax))
            {
                ReadSyntax(syntax, help);
            }

            if (sections.TryGetValue("DESCRIPTION", out Section? description))
            {
                help.Description.AddRange(Paragraphs(description, allowEmpty: false));
            }

            if (sections.TryGetValue("EXAMPLES", out Section? examples))
            {
                ReadExamples(examples, help);
            }

            if (sections.TryGetValue("PARAMETERS", out Section? parameters))
            {
                ReadParameters(parameters, help);
            }

            if (sections.TryGetValue("INPUTS", out Section? inputs))
            {
                ReadTypes(inputs, help.Inputs);
            }

            if (sections.TryGetValue("OUTPUTS", out Section? outputs))
            {
                ReadTypes(outputs, help.Outputs);
            }

            if (sections.TryGetValue("NOTES", out Section? notes))
            {
                help.Notes.AddRange(Paragraphs(notes, allowEmpty: true));
            }

            if (sections.TryGetValue("RELATED LINKS", out Section? links))
            {
                ReadLinks(links, help);
            }

            if (syntax is not null && parameters is not null)
            {
                CheckSyntaxAgainstParameters(help, syntax, parameters);
            }

            return help;
        }

        // ---- front matter -------------------------------------------------------------------------------------

        private int ReadFrontMatter(string[] lines, IDictionary<string, string> metadata)
        {
            if (lines.Length == 0 || lines[0].Trim() != "---")
            {
                Error(1, "the page must start with a front matter block ('---' … '---') naming the help file, module and schema");
                return 0;
            }

            int end = -1;
            for (int i = 1; i < lines.Length; i++)
            {
                if (lines[i].Trim() == "---")
                {
                    end = i;
                    break;
                }

                if (lines[i].Trim().Length == 0)
                {
                    continue;
                }

                int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    Error(i + 1, $"front matter line '{lines[i].Trim()}' is not 'key: value'");
                    continue;
                }

                string key = lines[i].Substring(0, colon).Trim();
                string value = lines[i].Substring(colon + 1).Trim();
                if (metadata.ContainsKey(key))
                {
                    Error(i + 1, $"front matter key '{key}' appears twice");
                }

                metadata[key] = value;
            }

            if (end < 0)
            {
                Error(1, "the front matter block is not closed with '---'");
                return lines.Length;
            }

            foreach (string key in RequiredMetadata)
            {
                if (!metadata.TryGetValue(key, out string? value) || value.Length == 0)
                {
                    Error(1, $"front matter has no '{key}:'");
                }
            }

            if (metadata.TryGetValue("schema", out string? schema) && schema.Length > 0 && schema != "2.0.0")
            {
                Error(1, $"front matter 'schema: {schema}' is not supported; write 'schema: 2.0.0'");
            }

            return end + 1;
        }

        // ---- blocks: headings, fenced code and text lines, with their line numbers ------------------------------

        private enum BlockKind
        {
            Heading,
            Text,
            Blank,
            Code,
        }

        private sealed class Block
        {
            public Block(BlockKind kind, int line, string text)
            {
                Kind = kind;
                Line = line;
                Text = text;
            }

            public BlockKind Kind { get; }

            public int Line { get; }

            /// <summary>Heading text, the text line, or the code block's content.</summary>
            public string Text { get; }

            public int Level { get; init; }

            /// <summary>The info string of a code block ("powershell", "yaml"; empty when none).</summary>
            public string Info { get; init; } = string.Empty;
        }

        private sealed class Section
        {
            public Section(string name, int line)
            {
                Name = name;
                Line = line;
            }

            public string Name { get; }

            public int Line { get; }

            public List<Block> Blocks { get; } = new List<Block>();
        }

        private List<Block>? ReadBlocks(string[] lines, int start)
        {
            var blocks = new List<Block>();
            for (int i = start; i < lines.Length; i++)
            {
                string line = lines[i];
                Match fence = Fence.Match(line);
                if (fence.Success)
                {
                    string marker = fence.Groups[1].Value;
                    int open = i;
                    var code = new List<string>();
                    int close = -1;
                    for (int j = i + 1; j < lines.Length; j++)
                    {
                        string candidate = lines[j].TrimStart(' ');
                        if (candidate.StartsWith(marker, StringComparison.Ordinal) && candidate.Trim().Trim(marker[0]).Length == 0)
                        {
                            close = j;
                            break;
                        }

                        code.Add(lines[j]);
                    }

                    if (close < 0)
                    {
                        Error(open + 1, $"the code block opened here with '{marker}' is never closed");
                        return null;
                    }

                    blocks.Add(new Block(BlockKind.Code, open + 1, string.Join("\n", code)) { Info = fence.Groups[2].Value.ToLowerInvariant() });
                    i = close;
                    continue;
                }

                Match heading = Heading.Match(line);
                if (heading.Success)
                {
                    blocks.Add(new Block(BlockKind.Heading, i + 1, heading.Groups[2].Value) { Level = heading.Groups[1].Length });
                    continue;
                }

                blocks.Add(line.Trim().Length == 0 ? new Block(BlockKind.Blank, i + 1, string.Empty) : new Block(BlockKind.Text, i + 1, line));
            }

            return blocks;
        }

        private static void SkipBlank(List<Block> blocks, ref int index)
        {
            while (index < blocks.Count && blocks[index].Kind == BlockKind.Blank)
            {
                index++;
            }
        }

        private Dictionary<string, Section> ReadSections(List<Block> blocks, int index)
        {
            var sections = new Dictionary<string, Section>(StringComparer.Ordinal);
            Section? current = null;
            for (; index < blocks.Count; index++)
            {
                Block block = blocks[index];
                if (block.Kind == BlockKind.Heading && block.Level == 1)
                {
                    Error(block.Line, $"a page documents one cmdlet; found a second title '# {block.Text}'");
                    continue;
                }

                if (block.Kind == BlockKind.Heading && block.Level == 2)
                {
                    string name = block.Text.Trim().ToUpperInvariant();
                    if (!RequiredSections.Contains(name))
                    {
                        Error(block.Line, $"unknown section '## {block.Text.Trim()}'; a page has {string.Join(", ", RequiredSections)}");
                        current = null;
                        continue;
                    }

                    if (sections.ContainsKey(name))
                    {
                        Error(block.Line, $"section '## {name}' appears twice");
                        current = null;
                        continue;
                    }

                    current = new Section(name, block.Line);
                    sections.Add(name, current);
                    continue;
                }

                if (current is null)
                {
                    if (block.Kind != BlockKind.Blank && sections.Count == 0)
                    {
                        Error(block.Line, "text between the title and the first section; start with '## SYNOPSIS'");
                    }

                    continue;
                }

                current.Blocks.Add(block);
            }

            return sections;
        }

        // ---- text ----------------------------------------------------------------------------------------------

        /// <summary>
        /// The section's text as paragraphs. Lines of a paragraph are joined with a space as markdown does, except
        /// that list items and hard breaks (two trailing spaces) keep their line break; code blocks keep every line.
        /// </summary>
        private List<string> Paragraphs(Section section, bool allowEmpty)
        {
            List<string> paragraphs = Paragraphs(section.Blocks, section.Name);
            if (!allowEmpty && paragraphs.Count == 0)
            {
                Error(section.Line, $"section '## {section.Name}' is empty");
            }

            return paragraphs;
        }

        private List<string> Paragraphs(IEnumerable<Block> blocks, string where)
        {
            var paragraphs = new List<string>();
            var current = new StringBuilder();
            bool hardBreak = false;

            void Flush()
            {
                if (current.Length > 0)
                {
                    paragraphs.Add(current.ToString());
                    current.Clear();
                }
            }

            foreach (Block block in blocks)
            {
                switch (block.Kind)
                {
                    case BlockKind.Blank:
                        Flush();
                        break;
                    case BlockKind.Code:
                        Flush();
                        paragraphs.Add(block.Text);
                        break;
                    case BlockKind.Heading:
                        Error(block.Line, $"unexpected heading '{new string('#', block.Level)} {block.Text}' in {where}");
                        Flush();
                        break;
                    default:
                        string line = Inline(block.Text.TrimEnd());
                        if (current.Length > 0)
                        {
                            bool keepBreak = hardBreak || ListItem.IsMatch(block.Text);
                            current.Append(keepBreak ? "\n" : " ");
                            line = keepBreak ? line : line.TrimStart();
                        }
                        else if (!ListItem.IsMatch(block.Text))
                        {
                            line = line.TrimStart();
                        }

                        current.Append(line);
                        hardBreak = block.Text.EndsWith("  ", StringComparison.Ordinal) || block.Text.EndsWith('\\');
                        if (hardBreak && current.Length > 0 && current[current.Length - 1] == '\\')
                        {
                            current.Length--;
                        }

                        break;
                }
            }

            Flush();
            return paragraphs;
        }

        /// <summary>Console help cannot follow a link, so "[text](uri)" reads "text (uri)", and "[text]()" just "text".</summary>
        private static string Inline(string text) =>
            InlineLink.Replace(text, m => m.Groups["uri"].Value.Length == 0 || m.Groups["uri"].Value == m.Groups["text"].Value
                ? m.Groups["text"].Value
                : m.Groups["text"].Value + " (" + m.Groups["uri"].Value + ")");

        /// <summary>Splits a section at its level-3 headings; text before the first one is reported unless allowed.</summary>
        private List<(Block Heading, List<Block> Blocks)> Subsections(Section section, string what)
        {
            var result = new List<(Block, List<Block>)>();
            List<Block>? current = null;
            foreach (Block block in section.Blocks)
            {
                if (block.Kind == BlockKind.Heading && block.Level == 3)
                {
                    current = new List<Block>();
                    result.Add((block, current));
                    continue;
                }

                if (block.Kind == BlockKind.Heading)
                {
                    Error(block.Line, $"unexpected heading '{new string('#', block.Level)} {block.Text}' in ## {section.Name}; use '### ' for each {what}");
                    continue;
                }

                if (current is null)
                {
                    if (block.Kind != BlockKind.Blank)
                    {
                        Error(block.Line, $"text before the first {what} in ## {section.Name}; each {what} starts with '### '");
                    }

                    continue;
                }

                current.Add(block);
            }

            return result;
        }

        // ---- SYNTAX --------------------------------------------------------------------------------------------

        private void ReadSyntax(Section section, CommandHelp help)
        {
            List<(Block Heading, List<Block> Blocks)> sets = Subsections(section, "parameter set");
            if (sets.Count == 0)
            {
                Error(section.Line, "## SYNTAX has no parameter set; write '### <SetName>' and the syntax in a code block");
                return;
            }

            foreach ((Block heading, List<Block> blocks) in sets)
            {
                Match match = SetHeading.Match(heading.Text.Trim());
                if (!match.Success)
                {
                    Error(heading.Line, $"'### {heading.Text}' is not a parameter set name ('### Name' or '### Name (Default)')");
                    continue;
                }

                string name = match.Groups["name"].Value.Trim();
                if (help.Syntax.Exists(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    Error(heading.Line, $"parameter set '{name}' appears twice in ## SYNTAX");
                    continue;
                }

                var set = new SyntaxSet(name, match.Groups["default"].Success, heading.Line);
                List<Block> code = blocks.FindAll(b => b.Kind == BlockKind.Code);
                Block? text = blocks.Find(b => b.Kind == BlockKind.Text);
                if (code.Count != 1)
                {
                    Error(heading.Line, $"parameter set '{name}' needs exactly one code block with its syntax; found {code.Count}");
                    continue;
                }

                if (text is not null)
                {
                    Error(text.Line, $"parameter set '{name}' has text outside its syntax code block");
                }

                ParseSyntaxLine(code[0], help.Name, set);
                help.Syntax.Add(set);
            }

            if (help.Syntax.Count(s => s.IsDefault) > 1)
            {
                Error(section.Line, "more than one parameter set is marked (Default)");
            }
        }

        private void ParseSyntaxLine(Block code, string commandName, SyntaxSet set)
        {
            string joined = string.Join(" ", code.Text.Split('\n').Select(l => l.Trim()));
            List<string> tokens = SyntaxToken.Matches(joined).Select(m => m.Value).ToList();
            if (tokens.Count == 0 || !string.Equals(tokens[0], commandName, StringComparison.Ordinal))
            {
                Error(code.Line, $"the syntax of set '{set.Name}' must start with the cmdlet name '{commandName}'");
                return;
            }

            int depth = 0;
            for (int i = 1; i < tokens.Count; i++)
            {
                string token = tokens[i];
                bool positional = false;
                int optionalDepth = depth;
                if (token == "[" && i + 3 < tokens.Count && IsParameterToken(tokens[i + 1]) && tokens[i + 2] == "]" && IsTypeToken(tokens[i + 3]))
                {
                    // "[-Name] <Type>": the name may be left out, the value still goes by position.
                    positional = true;
                    token = tokens[i + 1];
                    i += 2;
                }
                else if (token == "[")
                {
                    depth++;
                    continue;
                }
                else if (token == "]")
                {
                    if (--depth < 0)
                    {
                        Error(code.Line, $"unbalanced ']' in the syntax of set '{set.Name}'");
                        return;
                    }

                    continue;
                }
                else if (string.Equals(token, "<CommonParameters>", StringComparison.Ordinal))
                {
                    set.ShowsCommonParameters = true;
                    continue;
                }

                if (!IsParameterToken(token))
                {
                    Error(code.Line, $"unexpected '{token}' in the syntax of set '{set.Name}'");
                    return;
                }

                string? type = null;
                if (i + 1 < tokens.Count && IsTypeToken(tokens[i + 1]))
                {
                    type = tokens[++i].Substring(1, tokens[i].Length - 2).Trim();
                }

                string name = token.Substring(1);
                if (set.Parameters.Exists(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    Error(code.Line, $"-{name} appears twice in the syntax of set '{set.Name}'");
                    continue;
                }

                set.Parameters.Add(new SyntaxParameter(name, optionalDepth == 0, positional, type));
            }

            if (depth != 0)
            {
                Error(code.Line, $"unbalanced '[' in the syntax of set '{set.Name}'");
            }
        }

        private static bool IsTypeToken(string token) => token.StartsWith('<') && token != "<CommonParameters>";

        private static bool IsParameterToken(string token) => token.Length > 1 && token[0] == '-' && (char.IsLetter(token[1]) || token[1] == '_');

        // ---- EXAMPLES ------------------------------------------------------------------------------------------

        private void ReadExamples(Section section, CommandHelp help)
        {
            List<(Block Heading, List<Block> Blocks)> examples = Subsections(section, "example");
            if (examples.Count == 0)
            {
                Error(section.Line, "## EXAMPLES has no example; write '### Example 1: <title>' and a code block");
                return;
            }

            foreach ((Block heading, List<Block> blocks) in examples)
            {
                var example = new ExampleHelp(heading.Text.Trim());
                int firstCode = blocks.FindIndex(b => b.Kind == BlockKind.Code);
                if (firstCode < 0)
                {
                    Error(heading.Line, $"example '{example.Title}' has no code block");
                    continue;
                }

                example.Introduction.AddRange(Paragraphs(blocks.Take(firstCode), "an example"));
                var code = new List<string>();
                var after = new List<Block>();
                for (int i = firstCode; i < blocks.Count; i++)
                {
                    // Code blocks before the remarks are one script; a code block inside the remarks stays there.
                    if (blocks[i].Kind == BlockKind.Code && after.TrueForAll(b => b.Kind == BlockKind.Blank))
                    {
                        code.Add(blocks[i].Text);
                        after.Clear();
                    }
                    else
                    {
                        after.Add(blocks[i]);
                    }
                }

                example.Code = string.Join("\n\n", code);
                example.Remarks.AddRange(Paragraphs(after, "an example"));
                help.Examples.Add(example);
            }
        }

        // ---- PARAMETERS ----------------------------------------------------------------------------------------

        private void ReadParameters(Section section, CommandHelp help)
        {
            foreach ((Block heading, List<Block> blocks) in Subsections(section, "parameter"))
            {
                string title = heading.Text.Trim();
                if (title == "CommonParameters")
                {
                    help.SupportsCommonParameters = true;
                    continue;
                }

                Match match = ParameterHeading.Match(title);
                if (!match.Success)
                {
                    Error(heading.Line, $"'### {title}' is not a parameter; write '### -Name' (or '### CommonParameters')");
                    continue;
                }

                var parameter = new ParameterHelp(match.Groups["name"].Value, heading.Line);
                if (help.FindParameter(parameter.Name) is not null)
                {
                    Error(heading.Line, $"parameter -{parameter.Name} is documented twice");
                    continue;
                }

                int firstYaml = blocks.FindIndex(b => b.Kind == BlockKind.Code && b.Info == "yaml");
                if (firstYaml < 0)
                {
                    Error(heading.Line, $"parameter -{parameter.Name} has no ```yaml block (Type, Parameter Sets, Aliases, Required, Position, Default value, Accept pipeline input, Accept wildcard characters)");
                    continue;
                }

                parameter.Description.AddRange(Paragraphs(blocks.Take(firstYaml), "a parameter description"));
                if (parameter.Description.Count == 0)
                {
                    Error(heading.Line, $"parameter -{parameter.Name} has no description");
                }

                for (int i = firstYaml; i < blocks.Count; i++)
                {
                    Block block = blocks[i];
                    if (block.Kind == BlockKind.Code && block.Info == "yaml")
                    {
                        ParameterAttributes? attributes = ReadYaml(block, parameter.Name);
                        if (attributes is not null)
                        {
                            parameter.Attributes.Add(attributes);
                        }
                    }
                    else if (block.Kind != BlockKind.Blank)
                    {
                        Error(block.Line, $"parameter -{parameter.Name}: put the description before its yaml block, nothing after it");
                    }
                }

                help.Parameters.Add(parameter);
            }
        }

        private ParameterAttributes? ReadYaml(Block block, string parameterName)
        {
            var values = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
            string[] lines = block.Text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                int lineNumber = block.Line + 1 + i;
                if (lines[i].Trim().Length == 0)
                {
                    continue;
                }

                int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                string key = colon > 0 ? lines[i].Substring(0, colon).Trim() : string.Empty;
                if (colon <= 0 || !(YamlKeys.Contains(key) || IgnoredYamlKeys.Contains(key)))
                {
                    Error(lineNumber, $"parameter -{parameterName}: '{lines[i].Trim()}' is not one of the yaml keys {string.Join(", ", YamlKeys)}");
                    continue;
                }

                if (values.ContainsKey(key))
                {
                    Error(lineNumber, $"parameter -{parameterName}: '{key}' is given twice");
                    continue;
                }

                values[key] = (lines[i].Substring(colon + 1).Trim(), lineNumber);
            }

            bool complete = true;
            foreach (string key in YamlKeys)
            {
                if (!values.ContainsKey(key))
                {
                    Error(block.Line, $"parameter -{parameterName}: the yaml block has no '{key}:'");
                    complete = false;
                }
            }

            if (!complete)
            {
                return null;
            }

            var attributes = new ParameterAttributes(block.Line);
            (string type, int typeLine) = values["Type"];
            if (type.Length == 0)
            {
                Error(typeLine, $"parameter -{parameterName}: 'Type:' is empty");
            }

            attributes.Type = type;

            (string sets, int setsLine) = values["Parameter Sets"];
            if (sets == "(All)")
            {
                attributes.AllSets = true;
            }
            else
            {
                attributes.Sets.AddRange(SplitList(sets));
                if (attributes.Sets.Count == 0)
                {
                    Error(setsLine, $"parameter -{parameterName}: 'Parameter Sets:' is empty; write '(All)' or the set names");
                }
            }

            attributes.Aliases.AddRange(SplitList(values["Aliases"].Value));
            attributes.Required = ReadBool(values["Required"], parameterName, "Required");
            attributes.AcceptsWildcards = ReadBool(values["Accept wildcard characters"], parameterName, "Accept wildcard characters");

            (string position, int positionLine) = values["Position"];
            if (string.Equals(position, "Named", StringComparison.OrdinalIgnoreCase))
            {
                attributes.Position = "Named";
            }
            else if (int.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            {
                attributes.Position = number.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                Error(positionLine, $"parameter -{parameterName}: 'Position: {position}' must be 'Named' or a number");
            }

            attributes.DefaultValue = values["Default value"].Value;
            (string pipeline, int pipelineLine) = values["Accept pipeline input"];
            if (!PipelineInput.IsMatch(pipeline))
            {
                Error(pipelineLine, $"parameter -{parameterName}: 'Accept pipeline input: {pipeline}' must be False, True (ByValue), True (ByPropertyName) or True (ByValue, ByPropertyName)");
            }

            attributes.PipelineInput = pipeline;
            return attributes;
        }

        private bool ReadBool((string Value, int Line) value, string parameterName, string key)
        {
            if (value.Value == "True")
            {
                return true;
            }

            if (value.Value != "False")
            {
                Error(value.Line, $"parameter -{parameterName}: '{key}: {value.Value}' must be True or False");
            }

            return false;
        }

        private static IEnumerable<string> SplitList(string value) =>
            value.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0);

        // ---- INPUTS, OUTPUTS, RELATED LINKS --------------------------------------------------------------------

        private void ReadTypes(Section section, List<TypeHelp> types)
        {
            List<(Block Heading, List<Block> Blocks)> entries = Subsections(section, "type");
            if (entries.Count == 0)
            {
                Error(section.Line, $"## {section.Name} lists no type; write '### <Type.Name>' (or '### None')");
            }

            foreach ((Block heading, List<Block> blocks) in entries)
            {
                var type = new TypeHelp(heading.Text.Trim());
                type.Description.AddRange(Paragraphs(blocks, "## " + section.Name));
                types.Add(type);
            }
        }

        private void ReadLinks(Section section, CommandHelp help)
        {
            foreach (Block block in section.Blocks)
            {
                if (block.Kind == BlockKind.Blank)
                {
                    continue;
                }

                Match match = block.Kind == BlockKind.Text ? LinkLine.Match(block.Text.Trim()) : Match.Empty;
                if (!match.Success)
                {
                    Error(block.Line, "## RELATED LINKS holds one '[text](uri)' per line ('[Cmdlet-Name]()' for another cmdlet's help)");
                    continue;
                }

                help.Links.Add(new LinkHelp(match.Groups["text"].Value.Trim(), match.Groups["uri"].Value.Trim()));
            }
        }

        // ---- the cross-check: SYNTAX and PARAMETERS describe the same parameters -------------------------------

        private void CheckSyntaxAgainstParameters(CommandHelp help, Section syntax, Section parameters)
        {
            foreach (SyntaxSet set in help.Syntax)
            {
                foreach (SyntaxParameter shown in set.Parameters)
                {
                    ParameterHelp? documented = help.FindParameter(shown.Name);
                    if (documented is null)
                    {
                        Error(set.Line, $"-{shown.Name} is in the syntax of set '{set.Name}' but not under ## PARAMETERS");
                        continue;
                    }

                    if (documented.Attributes.Count == 0)
                    {
                        continue;
                    }

                    ParameterAttributes? attributes = documented.AttributesFor(set.Name);
                    if (attributes is null)
                    {
                        Error(documented.Attributes[0].Line, $"-{shown.Name} is in the syntax of set '{set.Name}' but its 'Parameter Sets:' does not name '{set.Name}'");
                        continue;
                    }

                    if (attributes.Required != shown.Required)
                    {
                        Error(attributes.Line, $"-{shown.Name} is 'Required: {(attributes.Required ? "True" : "False")}' but the syntax of set '{set.Name}' shows it {(shown.Required ? "without" : "in")} brackets");
                    }

                    bool numbered = attributes.Position != "Named";
                    if (numbered != shown.Positional)
                    {
                        Error(attributes.Line, $"-{shown.Name} is 'Position: {attributes.Position}' but the syntax of set '{set.Name}' shows it {(shown.Positional ? "as [-" + shown.Name + "]" : "by name")}");
                    }

                    if (shown.TypeName is null && !attributes.IsSwitch)
                    {
                        Error(set.Line, $"-{shown.Name} has 'Type: {attributes.Type}' but the syntax of set '{set.Name}' shows no <{attributes.Type}> after it");
                    }
                    else if (shown.TypeName is not null && !string.Equals(shown.TypeName, attributes.Type, StringComparison.OrdinalIgnoreCase))
                    {
                        Error(attributes.Line, $"-{shown.Name} has 'Type: {attributes.Type}' but the syntax of set '{set.Name}' shows <{shown.TypeName}>");
                    }
                }

                if (set.ShowsCommonParameters && !help.SupportsCommonParameters)
                {
                    Error(parameters.Line, $"the syntax of set '{set.Name}' shows [<CommonParameters>] but ## PARAMETERS has no '### CommonParameters'");
                }
            }

            foreach (ParameterHelp documented in help.Parameters)
            {
                List<SyntaxSet> showing = help.Syntax.FindAll(s => s.Parameters.Exists(p => string.Equals(p.Name, documented.Name, StringComparison.OrdinalIgnoreCase)));
                if (showing.Count == 0)
                {
                    Error(documented.Line, $"-{documented.Name} is under ## PARAMETERS but in no syntax block of ## SYNTAX");
                    continue;
                }

                foreach (ParameterAttributes attributes in documented.Attributes)
                {
                    IEnumerable<string> claimed = attributes.AllSets ? help.Syntax.Select(s => s.Name) : attributes.Sets;
                    foreach (string setName in claimed)
                    {
                        SyntaxSet? set = help.Syntax.Find(s => string.Equals(s.Name, setName, StringComparison.OrdinalIgnoreCase));
                        if (set is null)
                        {
                            Error(attributes.Line, $"-{documented.Name} names parameter set '{setName}', which ## SYNTAX does not have");
                        }
                        else if (!showing.Contains(set))
                        {
                            Error(attributes.Line, $"-{documented.Name} is in set '{set.Name}' by its 'Parameter Sets:' but the syntax of '{set.Name}' does not show it");
                        }
                    }
                }

                // Each set the parameter is shown in must be claimed by exactly one yaml block.
                foreach (SyntaxSet set in showing)
                {
                    int claims = documented.Attributes.Count(a => a.AllSets || a.Sets.Exists(s => string.Equals(s, set.Name, StringComparison.OrdinalIgnoreCase)));
                    if (claims > 1)
                    {
                        Error(documented.Line, $"-{documented.Name} has more than one yaml block for set '{set.Name}'");
                    }
                }
            }

            if (help.SupportsCommonParameters && help.Syntax.Count > 0 && !help.Syntax.Exists(s => s.ShowsCommonParameters))
            {
                Error(syntax.Line, "## PARAMETERS has '### CommonParameters' but no syntax block ends with [<CommonParameters>]");
            }
        }
    }
}
