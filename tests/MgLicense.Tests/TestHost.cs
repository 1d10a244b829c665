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
        private readonly TestHostUI ui = new TestHostUI();

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

        public override PSHostRawUserInterface? RawUI => null;

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
}
