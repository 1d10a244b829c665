// A PowerShell host that records what a person at a console would see and answers prompts from the test, since -WhatIf lines and -Confirm prompts only exist through a host.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace MgLicense.Tests
{
    public sealed class TestHost : PSHost
    {
        private readonly TestHostUI ui;

        /// <param name="width">The console's width, if the test wants one (see <see cref="TestHostUI(int?)"/>).</param>
        public TestHost(int? width = null)
        {
            ui = new TestHostUI(width);
        }

        public override string Name => "MgLicense.Tests";

        public override Version Version => new Version(1, 0);

        public override Guid InstanceId { get; } = Guid.NewGuid();

        public override PSHostUserInterface UI => ui;

        public TestHostUI Console => ui;

        public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;

        public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;

        public override void EnterNestedPrompt() => throw new NotSupportedException();

        public override void ExitNestedPrompt() => throw new NotSupportedException();

        public override void NotifyBeginApplication()
        {
        }

        public override void NotifyEndApplication()
        {
        }

        public override void SetShouldExit(int exitCode)
        {
        }
    }

    public sealed class TestHostUI : PSHostUserInterface
    {
        private readonly object gate = new object();
        private readonly List<string> lines = new List<string>();
        private readonly List<string> warnings = new List<string>();
        private readonly List<string> verbose = new List<string>();
        private readonly List<string> prompts = new List<string>();
        private string partial = string.Empty;

        /// <summary>Answers for PromptForChoice, in order: the index of the choice a person would pick.</summary>
        public Queue<int> ChoiceAnswers { get; } = new Queue<int>();

        /// <summary>Complete lines written to the console (Write, WriteLine), with Write fragments joined.</summary>
        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (gate)
                {
                    var all = new List<string>(lines);
                    if (partial.Length > 0)
                    {
                        all.Add(partial);
                    }

                    return all;
                }
            }
        }

        public IReadOnlyList<string> Warnings => Snapshot(warnings);

        public IReadOnlyList<string> Verbose => Snapshot(verbose);

        /// <summary>"caption|message" of every choice prompt shown.</summary>
        public IReadOnlyList<string> Prompts => Snapshot(prompts);

        private readonly PSHostRawUserInterface? rawUI;

        /// <param name="width">
        /// The console's width in characters, for a test that wants wide tables; without it there is no raw console, and
        /// PowerShell lays tables out for 80 columns. (PowerShell takes the raw console once, when the runspace is made.)
        /// </param>
        public TestHostUI(int? width = null)
        {
            rawUI = width is int w ? new TestRawUI(w) : null;
        }

        public override PSHostRawUserInterface? RawUI => rawUI;

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
            throw new NotSupportedException("The tests answer no field prompts.");

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            lock (gate)
            {
                prompts.Add(caption + "|" + message);
                if (ChoiceAnswers.Count == 0)
                {
                    throw new InvalidOperationException($"Unexpected prompt: {caption}: {message}");
                }

                return ChoiceAnswers.Dequeue();
            }
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw new NotSupportedException();

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
            PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new NotSupportedException();

        public override string ReadLine() => throw new NotSupportedException();

        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException();

        public override void Write(string value) => Append(value);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Append(value);

        public override void WriteLine(string value) => Append(value + "\n");

        public override void WriteErrorLine(string value) => Append(value + "\n");

        public override void WriteDebugLine(string message) => Append("DEBUG: " + message + "\n");

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }

        public override void WriteVerboseLine(string message)
        {
            lock (gate)
            {
                verbose.Add(message);
            }
        }

        public override void WriteWarningLine(string message)
        {
            lock (gate)
            {
                warnings.Add(message);
            }
        }

        private void Append(string text)
        {
            lock (gate)
            {
                string all = partial + text;
                string[] parts = all.Split('\n');
                for (int i = 0; i < parts.Length - 1; i++)
                {
                    lines.Add(parts[i].TrimEnd('\r'));
                }

                partial = parts[parts.Length - 1];
            }
        }

        private IReadOnlyList<string> Snapshot(List<string> list)
        {
            lock (gate)
            {
                return list.ToArray();
            }
        }
    }

    /// <summary>A console of a given width and nothing else: what the formatter asks of it to lay out a table.</summary>
    public sealed class TestRawUI : PSHostRawUserInterface
    {
        private readonly Size size;

        public TestRawUI(int width)
        {
            size = new Size(width, 50);
        }

        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

        public override Coordinates CursorPosition { get; set; }

        public override Coordinates WindowPosition { get; set; }

        public override int CursorSize { get; set; }

        public override Size BufferSize
        {
            get => size;
            set => throw new NotSupportedException();
        }

        public override Size WindowSize
        {
            get => size;
            set => throw new NotSupportedException();
        }

        public override Size MaxWindowSize => size;

        public override Size MaxPhysicalWindowSize => size;

        public override bool KeyAvailable => false;

        public override string WindowTitle { get; set; } = string.Empty;

        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();

        public override void FlushInputBuffer()
        {
        }

        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();

        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException();

        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) => throw new NotSupportedException();

        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) =>
            throw new NotSupportedException();
    }
}
