// The whole job behind the command line, callable from tests: read the pages, check them all, write one MAML file.
using System;
using System.Collections.Generic;
using System.IO;

namespace MgLicense.HelpCompiler
{
    /// <summary>The whole job, callable from tests: read, check, write.</summary>
    public static class HelpCompilation
    {
        /// <summary>Parses and checks pages; throws <see cref="HelpCompilationException"/> listing every problem.</summary>
        public static IReadOnlyList<CommandHelp> Parse(IEnumerable<(string Path, string Text)> pages)
        {
            var diagnostics = new List<HelpDiagnostic>();
            var commands = new List<CommandHelp>();
            var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach ((string path, string text) in pages)
            {
                CommandHelp? command = MarkdownHelpParser.Parse(path, text, diagnostics);
                if (command is null)
                {
                    continue;
                }

                if (seen.TryGetValue(command.Name, out string? other))
                {
                    diagnostics.Add(new HelpDiagnostic(path, 1, $"{command.Name} is also documented in {other}"));
                    continue;
                }

                seen.Add(command.Name, path);
                commands.Add(command);
            }

            if (diagnostics.Count > 0)
            {
                throw new HelpCompilationException(diagnostics);
            }

            return commands;
        }

        /// <summary>The MAML for a directory of pages, without writing it.</summary>
        public static byte[] CompileDirectory(string markdownDirectory, out IReadOnlyList<CommandHelp> commands)
        {
            if (!Directory.Exists(markdownDirectory))
            {
                throw new DirectoryNotFoundException($"the markdown directory '{markdownDirectory}' does not exist");
            }

            // Ordinal order, so the output does not depend on the file system or the culture.
            string[] files = Directory.GetFiles(markdownDirectory, "*.md", SearchOption.TopDirectoryOnly);
            Array.Sort(files, StringComparer.Ordinal);
            if (files.Length == 0)
            {
                throw new HelpCompilationException(new[] { new HelpDiagnostic(markdownDirectory, 0, "no *.md cmdlet pages found") });
            }

            var pages = new List<(string, string)>();
            foreach (string file in files)
            {
                pages.Add((file, File.ReadAllText(file)));
            }

            commands = Parse(pages);
            return MamlWriter.Write(commands);
        }

        /// <summary>Compiles a directory and writes the MAML file, creating its directory.</summary>
        public static IReadOnlyList<CommandHelp> CompileDirectory(string markdownDirectory, string outputPath)
        {
            byte[] maml = CompileDirectory(markdownDirectory, out IReadOnlyList<CommandHelp> commands);
            string? directory = Path.GetDirectoryName(Path.GetFullPath(outputPath));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            File.WriteAllBytes(outputPath, maml);
            return commands;
        }
    }
}
