// The emulator's $select accepts exactly the properties Graph v1.0 defines on user and group. The list it reads,
// crates/graph-emulator/src/graph_properties.json, is made here from Microsoft's own Graph .NET SDK models, so it
// comes from the service's metadata (through the SDK's generator), not from memory.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions.Serialization;
using Xunit;

namespace Emulator.Tests
{
    public class GraphPropertiesTests
    {
        /// <summary>Where the emulator reads the list (include_str! in crates/graph-emulator/src/reads.rs).</summary>
        private static string ListPath => Path.Combine(EmulatorProcess.FindRepoRoot(), "crates", "graph-emulator", "src", "graph_properties.json");

        /// <summary>The JSON property names the SDK's model reads for a type: every structural and navigation property of it
        /// and of the types it derives from (directoryObject's id and deletedDateTime), as Graph v1.0's metadata names them.</summary>
        private static IEnumerable<string> PropertiesOf(IParsable model) =>
            model.GetFieldDeserializers().Keys.Where(k => !k.StartsWith("@odata.", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal);

        private static string Generate()
        {
            string version = typeof(User).Assembly.GetName().Version!.ToString(3);
            var text = new StringBuilder();
            text.Append("{\n");
            text.Append($"  \"_source\": \"Microsoft.Graph {version} (NuGet): the keys of GetFieldDeserializers() of Microsoft.Graph.Models.User and Group, without @odata.type. Made and checked by tests/Emulator.Tests/GraphPropertiesTests.cs; MGLICENSE_REGENERATE=1 dotnet test tests/Emulator.Tests --filter GraphPropertiesTests writes it again.\",\n");
            void List(string name, IParsable model, bool last)
            {
                text.Append($"  \"{name}\": [\n");
                text.Append(string.Join(",\n", PropertiesOf(model).Select(p => $"    \"{p}\"")));
                text.Append(last ? "\n  ]\n" : "\n  ],\n");
            }

            List("group", new Group(), last: false);
            List("user", new User(), last: true);
            text.Append("}\n");
            return text.ToString();
        }

        [Fact]
        public void TheEmulatorsSelectListIsTheSdksModels()
        {
            string generated = Generate();
            if (Environment.GetEnvironmentVariable("MGLICENSE_REGENERATE") == "1")
            {
                File.WriteAllText(ListPath, generated);
            }

            Assert.Equal(generated, File.ReadAllText(ListPath).Replace("\r\n", "\n"));
        }

        [Fact]
        public void TheListHoldsWhatLicenseScriptsSelect()
        {
            string list = File.ReadAllText(ListPath);
            foreach (string name in new[] { "mailNickname", "licenseProcessingState", "expirationDateTime", "mail", "membershipRule", "signInActivity", "licenseAssignmentStates", "usageLocation" })
            {
                Assert.Contains($"\"{name}\"", list, StringComparison.Ordinal);
            }
        }
    }
}
