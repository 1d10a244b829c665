// Hostile and careless input and answers at the PowerShell level: a bad item is reported for itself and the pipeline goes on, values that have no faithful form are refused by name before anything is sent, odd but valid answers are read or reported, never thrown.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    /// <summary>A .NET object whose identity is its Id, with another property whose getter throws.</summary>
    public sealed class UserWithBrokenExtra
    {
        public UserWithBrokenExtra(string id)
        {
            Id = id;
        }

        public string Id { get; }

        public string Manager => throw new InvalidOperationException("the manager lookup is offline");
    }

    [Collection(PowerShellCollection.Name)]
    public sealed class HardeningTests
    {
        private readonly PowerShellFixture fixture;

        public HardeningTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private Session Connected()
        {
            Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            return session;
        }

        /// <summary>A Graph stand-in answering every request with 200 and <paramref name="body"/> (ASCII JSON).</summary>
        private static StubGraph Answering(string body) =>
            new StubGraph($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");

        private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] values) =>
            values.ToDictionary(v => v.Name, v => v.Value);

        // D4: one malformed id among piped ids is that input's error; the inputs after it are sent and reported.

        [Theory]
        [InlineData("' '", "UserId is empty")]
        [InlineData("\"$($b)`t\"", "U+0009")]
        [InlineData("('x' * 1025)", "1025 bytes")]
        [InlineData("\"a`r`nb\"", "U+000D")]
        public void AMalformedIdInThePipelineIsItsOwnErrorAndTheRestAreSent(string bad, string named)
        {
            using Session session = Connected();
            string a = fixture.UserId(0), b = fixture.UserId(1), c = fixture.UserId(2);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run($"$a, {bad}, $c | Invoke-MgLicenseUser 2>&1", Vars(("a", a), ("b", b), ("c", c))));

            Assert.Null(result.Terminating);
            Assert.Equal(Sent.SortedPaths(new[] { a, c }.Select(id => Sent.PathFor("Invoke-MgLicenseUser", id))), Sent.SortedPaths(Sent.Paths(sent)));
            Assert.Equal(3, result.Output.Count);
            Assert.Equal(a, result.Output[0].Properties["Id"].Value);
            var error = Assert.IsType<ErrorRecord>(result.Output[1].BaseObject);
            Assert.Contains(named, error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
            Assert.Equal(c, result.Output[2].Properties["Id"].Value);
        }

        [Fact]
        public void AMalformedIdInAnIdentityObjectIsItsOwnErrorWithBatches()
        {
            using Session session = Connected();
            string a = fixture.UserId(0), c = fixture.UserId(2);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("@{ UserId = $a }, @{ UserId = '   ' }, @{ UserId = $c } | Invoke-MgLicenseUser -BatchSize 2 2>&1",
                    Vars(("a", a), ("c", c))));

            Assert.Null(result.Terminating);
            Assert.Equal(3, result.Output.Count);
            Assert.Equal(a, result.Output[0].Properties["Id"].Value);
            Assert.Contains("UserId is empty", Assert.IsType<ErrorRecord>(result.Output[1].BaseObject).Exception.Message);
            Assert.Equal(c, result.Output[2].Properties["Id"].Value);
        }

        [Fact]
        public void AnIdentityWithoutAUserStillStopsThePipelineAsTheOfficialCmdletDoes()
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("@{ DriveId = 'd' }, $a | Invoke-MgLicenseUser", Vars(("a", fixture.UserId(0)))));

            // The pipeline stops at it: the user after it is not sent.
            Assert.Empty(sent);
            Assert.Empty(result.Output);
            Assert.Equal("InputObject has null value for InputObject.UserId", Assert.Single(result.AllErrors).Exception.Message);
        }

        // D14: a tab is named as what it is.

        [Fact]
        public void ATabIdIsNamedAsAControlCharacterNotCalledEmpty()
        {
            using Session session = Connected();

            RunResult result = session.Run("Invoke-MgLicenseUser -UserId \"`t\" -ErrorAction SilentlyContinue -ErrorVariable e; $e");

            var error = Assert.IsType<ErrorRecord>(Assert.Single(result.Output).BaseObject);
            Assert.Contains("U+0009", error.Exception.Message);
            Assert.DoesNotContain("empty", error.Exception.Message);
        }

        // D5: valid but unusual JSON answers are read, never thrown.

        [Fact]
        public void AnAnswerNestedDeeperThan64LevelsIsReadForEveryPipedInput()
        {
            string body = "{\"id\":\"deep\",\"x\":" + new string('[', 100) + new string(']', 100) + "}";
            using StubGraph graph = Answering(body);
            using Session session = fixture.NewSession();
            graph.Connect(session, fixture.MintToken("User.ReadWrite.All"));

            RunResult result = session.Run("'u1', 'u2', 'u3' | Invoke-MgLicenseUser");

            Assert.Null(result.Terminating);
            Assert.Empty(result.Errors);
            Assert.Equal(new object[] { "deep", "deep", "deep" }, result.Output.Select(o => o.Properties["Id"].Value));
            Assert.Equal(3, graph.Requests);
        }

        [Fact]
        public void ALoneSurrogateInAnAnswerIsKeptAsItCame()
        {
            using StubGraph graph = Answering("{\"id\":\"a\\ud800b\",\"displayName\":\"\\udc00\",\"x\\ud800\":[\"\\ud800\"]}");
            using Session session = fixture.NewSession();
            graph.Connect(session, fixture.MintToken("User.ReadWrite.All"));

            RunResult result = session.Run("'u1', 'u2' | Invoke-MgLicenseUser | ForEach-Object { $_.Id; $_.DisplayName }");

            Assert.Null(result.Terminating);
            Assert.Empty(result.Errors);
            Assert.Equal(new object[] { "a\ud800b", "\udc00", "a\ud800b", "\udc00" }, result.Output.Select(o => o.BaseObject));
        }

        // D6: values with no faithful JSON form are refused by name, per item, and nothing is sent for them.

        [Theory]
        [InlineData("@('x', 'y')", "an array")]
        [InlineData("@{ a = 1 }", "a dictionary")]
        [InlineData("[datetime]'2026-01-01'", "System.DateTime")]
        [InlineData("{ 'a script' }", "a script block")]
        [InlineData("[pscustomobject]@{ a = 1 }", "PSCustomObject")]
        public void ANonStringUserIdInAnIdentityIsRefusedForThatInputOnly(string value, string named)
        {
            using Session session = Connected();
            string c = fixture.UserId(2);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run($"@{{ UserId = {value} }}, @{{ UserId = $c }} | Invoke-MgLicenseUser 2>&1", Vars(("c", c))));

            Assert.Null(result.Terminating);
            Assert.Equal(new[] { Sent.PathFor("Invoke-MgLicenseUser", c) }, Sent.Paths(sent));
            var error = Assert.IsType<ErrorRecord>(result.Output[0].BaseObject);
            Assert.Contains("InputObject.UserId must be a string", error.Exception.Message);
            Assert.Contains(named, error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
            Assert.Equal(c, result.Output[1].Properties["Id"].Value);
        }

        [Fact]
        public void AOneElementArrayAsUserIdIsRefusedNotUnwrapped()
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("@{ UserId = @($a) } | Invoke-MgLicenseUser 2>&1", Vars(("a", fixture.UserId(0)))));

            Assert.Empty(sent);
            Assert.Contains("an array", Assert.IsType<ErrorRecord>(Assert.Single(result.Output).BaseObject).Exception.Message);
        }

        [Theory]
        [InlineData("@{ a = 1 }", "a dictionary")]
        [InlineData("@('a', 'b')", "an array")]
        [InlineData("{ 'a script' }", "a script block")]
        [InlineData("[datetime]'2026-01-01'", "System.DateTime")]
        public void ANonStringHeaderValueIsRefusedNamingTheHeaderAndNothingIsSent(string value, string named)
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run($"Invoke-MgLicenseUser -UserId $a -Headers @{{ 'X-Note' = {value} }}", Vars(("a", fixture.UserId(0)))));

            Assert.Empty(sent);
            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Contains("'X-Note'", error.Exception.Message);
            Assert.Contains(named, error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        }

        [Fact]
        public void NumbersAndNullInHeadersAreStillSentAsText()
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("$null = Invoke-MgLicenseUser -UserId $a -Headers @{ 'x-count' = 7; 'x-flag' = $true; 'x-none' = $null }",
                    Vars(("a", fixture.UserId(0)))));

            result.ThrowIfFailed();
            JsonElement request = Assert.Single(sent);
            Assert.Equal("7", Sent.Header(request, "x-count"));
            Assert.Equal("True", Sent.Header(request, "x-flag"));
            Assert.Equal(string.Empty, Sent.Header(request, "x-none"));
        }

        // D7: only the engine's identity keys are read; anything else of the input never touches the call.

        [Fact]
        public void AnotherPropertyWhoseToStringThrowsDoesNotStopThePipeline()
        {
            using Session session = Connected();
            string a = fixture.UserId(0), b = fixture.UserId(1);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run(
                    "$v = [pscustomobject]@{}; $v.psobject.Methods.Add([psscriptmethod]::new('ToString', { throw 'TS-BOOM' })); "
                    + "[pscustomobject]@{ UserId = $a; Extra = $v }, $b | Invoke-MgLicenseUser",
                    Vars(("a", a), ("b", b))));

            Assert.Null(result.Terminating);
            Assert.Empty(result.Errors);
            Assert.Equal(new object[] { a, b }, result.Output.Select(o => o.Properties["Id"].Value));
            Assert.Equal(2, sent.Count);
        }

        [Fact]
        public void AnotherPropertyWhoseGetterThrowsIsNeverRead()
        {
            using Session session = Connected();
            string a = fixture.UserId(0);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("[MgLicense.Tests.UserWithBrokenExtra]::new($a) | Invoke-MgLicenseUser", Vars(("a", a))));

            Assert.Empty(result.AllErrors);
            Assert.Equal(a, Assert.Single(result.Output).Properties["Id"].Value);
            Assert.Equal(new[] { Sent.PathFor("Invoke-MgLicenseUser", a) }, Sent.Paths(sent));
        }

        [Fact]
        public void AnIdentityKeyWhoseToStringThrowsIsRefusedByNameWithoutCallingIt()
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run(
                    "$v = [pscustomobject]@{}; $v.psobject.Methods.Add([psscriptmethod]::new('ToString', { throw 'TS-BOOM' })); "
                    + "@{ UserId = $v } | Invoke-MgLicenseUser 2>&1"));

            Assert.Empty(sent);
            Assert.Null(result.Terminating);
            var error = Assert.IsType<ErrorRecord>(Assert.Single(result.Output).BaseObject);
            Assert.Contains("InputObject.UserId must be a string", error.Exception.Message);
            Assert.DoesNotContain("TS-BOOM", error.Exception.Message);
        }

        [Fact]
        public void AHeaderValueWhoseToStringThrowsIsRefusedNamingTheHeader()
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run(
                    "$v = [pscustomobject]@{}; $v.psobject.Methods.Add([psscriptmethod]::new('ToString', { throw 'TS-BOOM' })); "
                    + "Invoke-MgLicenseUser -UserId $a -Headers @{ 'X-A' = $v }",
                    Vars(("a", fixture.UserId(0)))));

            Assert.Empty(sent);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Contains("'X-A'", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        }

        // D8: -ResponseHeadersVariable is checked before anything is sent.

        [Theory]
        [InlineData("PID")]
        [InlineData("true")]
        [InlineData("Host")]
        [InlineData("Error")]
        [InlineData("?")]
        [InlineData("using:x")]
        [InlineData("MaximumHistoryCount")]
        [InlineData("ErrorActionPreference")]
        public void AResponseHeadersVariableThatCannotBeSetIsRefusedBeforeAnythingIsSent(string name)
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("$a, $b | Invoke-MgLicenseUser -ResponseHeadersVariable $name",
                    Vars(("a", fixture.UserId(0)), ("b", fixture.UserId(1)), ("name", name))));

            Assert.Empty(sent);
            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Contains("-ResponseHeadersVariable '" + name + "'", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        }

        [Fact]
        public void AReadOnlyCountVariableIsRefusedBeforeAnythingIsRead()
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Get-MgUser -Top 1 -CountVariable PID -ConsistencyLevel eventual"));

            Assert.Empty(sent);
            Assert.Contains("-CountVariable 'PID'", Assert.Single(result.AllErrors).Exception.Message);
        }

        [Fact]
        public void AScopedResponseHeadersVariableIsStillSet()
        {
            using Session session = Connected();

            RunResult result = session.Run("$null = Invoke-MgLicenseUser -UserId $a -RHV global:hardeningRh; $global:hardeningRh.Count -gt 0",
                Vars(("a", fixture.UserId(0))));

            result.ThrowIfFailed();
            Assert.Equal(true, Assert.Single(result.Output).BaseObject);
        }

        // D10: what is not an object in an answer is said, not dropped.

        [Fact]
        public void ScalarItemsOfAReadPageAreErrorsAndTheObjectsAreWritten()
        {
            using StubGraph graph = Answering("{\"value\":[{\"id\":\"a\"},1,\"x\",null,{\"id\":\"b\"}]}");
            using Session session = fixture.NewSession();
            graph.Connect(session, fixture.MintToken("User.ReadWrite.All"));

            RunResult result = session.Run("Get-MgUser 2>&1");

            Assert.Null(result.Terminating);
            object[] written = result.Output.Select(o => o.BaseObject is ErrorRecord e ? (object)e.FullyQualifiedErrorId : o.Properties["Id"].Value).ToArray();
            Assert.Equal("a", written.First());
            Assert.Equal("b", written.Last());
            Assert.Equal(2, written.Count(w => w is string s && s.StartsWith("UnexpectedItem,", StringComparison.Ordinal)));
            Assert.Equal(4, written.Length);
        }

        [Fact]
        public void AReprocessAnswerThatIsAnArrayIsAnErrorForItsInput()
        {
            using StubGraph graph = Answering("[{\"id\":\"a\"}]");
            using Session session = fixture.NewSession();
            graph.Connect(session, fixture.MintToken("User.ReadWrite.All"));

            RunResult result = session.Run("'u1', 'u2' | Invoke-MgLicenseUser 2>&1");

            Assert.Null(result.Terminating);
            Assert.Equal(2, result.Output.Count);
            Assert.All(result.Output, o => Assert.IsType<ErrorRecord>(o.BaseObject));
        }

        // D12: a string no UTF-8 can carry is refused by name, never sent as U+FFFD.

        [Fact]
        public void ALoneSurrogateInUserIdIsRefusedAndNothingIsSent()
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Invoke-MgLicenseUser -UserId \"a$([char]0xD800)b\""));

            Assert.Empty(sent);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Contains("-UserId", error.Exception.Message);
            Assert.Contains("U+D800", error.Exception.Message);
        }

        [Fact]
        public void ALoneSurrogateInAPipedIdIsThatInputsErrorAndTheRestAreSent()
        {
            using Session session = Connected();
            string c = fixture.UserId(2);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("\"a$([char]0xDC01)\", @{ UserId = \"b$([char]0xD801)\" }, $c | Invoke-MgLicenseUser 2>&1", Vars(("c", c))));

            Assert.Null(result.Terminating);
            Assert.Equal(new[] { Sent.PathFor("Invoke-MgLicenseUser", c) }, Sent.Paths(sent));
            Assert.Contains("U+DC01", Assert.IsType<ErrorRecord>(result.Output[0].BaseObject).Exception.Message);
            Assert.Contains("InputObject.UserId", Assert.IsType<ErrorRecord>(result.Output[1].BaseObject).Exception.Message);
            Assert.Equal(c, result.Output[2].Properties["Id"].Value);
        }

        [Fact]
        public void ALoneSurrogateInAFilterIsRefusedAndNothingIsRead()
        {
            using Session session = Connected();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Get-MgUser -Filter \"displayName eq '$([char]0xD800)'\""));

            Assert.Empty(sent);
            Assert.Contains("-Filter", Assert.Single(result.AllErrors).Exception.Message);
        }
    }
}
