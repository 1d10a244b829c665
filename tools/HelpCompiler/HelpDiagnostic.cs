// A problem found in a help page, with the file and line a writer needs to fix it.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace MgLicense.HelpCompiler
{
    public sealed class HelpDiagnostic
    {
        public HelpDiagnostic(string file, int line, string message)
        {
            File = file;
            Line = line;
            Message = message;
        }

        public string File { get; }

        /// <summary>One-based line number.</summary>
        public int Line { get; }

        public string Message { get; }

        /// <summary>MSBuild's canonical form, so a build that runs the compiler shows the error against the file.</summary>
        public override string ToString() =>
            string.Format(CultureInfo.InvariantCulture, "{0}({1}): error: {2}", File, Line, Message);
    }

    /// <summary>Thrown when one or more help pages are malformed; nothing is written then.</summary>
    public sealed class HelpCompilationException : Exception
    {
        public HelpCompilationException(IReadOnlyList<HelpDiagnostic> diagnostics)
            : base(string.Join(Environment.NewLine, diagnostics))
        {
            Diagnostics = diagnostics;
        }

        public IReadOnlyList<HelpDiagnostic> Diagnostics { get; }
    }
}
