// Entry point: HelpCompiler <markdown dir> <output .xml>
// Reads every *.md page of the directory (docs/cmdlets), checks them all, and only when every page is sound
// writes the MAML file (out/MgLicense/en-US/MgLicense.dll-Help.xml in the build). Exit codes: 0 written,
// 1 a page is malformed (each problem printed as "file(line): error: message"), 2 wrong usage or I/O failure.
using System;
using System.Collections.Generic;
using System.IO;

namespace MgLicense.HelpCompiler
{
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length != 2)
            {
                Console.Error.WriteLine("usage: HelpCompiler <markdown dir> <output .xml>");
                Console.Error.WriteLine("  compiles every <markdown dir>/*.md cmdlet page (platyPS schema 2.0.0) into one MAML help file");
                return 2;
            }

            try
            {
                IReadOnlyList<CommandHelp> commands = HelpCompilation.CompileDirectory(args[0], args[1]);
                Console.WriteLine($"HelpCompiler: {commands.Count} cmdlets -> {args[1]}");
                return 0;
            }
            catch (HelpCompilationException e)
            {
                foreach (HelpDiagnostic diagnostic in e.Diagnostics)
                {
                    Console.Error.WriteLine(diagnostic.ToString());
                }

                Console.Error.WriteLine($"HelpCompiler: {e.Diagnostics.Count} error(s); {args[1]} was not written");
                return 1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine($"HelpCompiler: error: {e.Message}");
                return 2;
            }
        }
    }
}
