// Every shape of identity a user pipes or passes to -InputObject, for each reprocess cmdlet, checked against what the emulator was sent.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    /// <summary>A .NET object with an identity property, as another module's output might be.</summary>
    public sealed class UserReference
    {
        public UserReference(string userId)
        {
            UserId = userId;
        }

        public string UserId { get; }

        public string Note => "not an identity key";
    }

    /// <summary>An object whose property getter throws, like a lazy-loading proxy whose source is gone.</summary>
    public sealed class BrokenUser
    {
        public string DisplayName => "Broken";

        public string UserId => throw new InvalidOperationException("the directory cache is offline");
    }

    [Collection(PowerShellCollection.Name)]
    public sealed class IdentityTests
    {
        private readonly PowerShellFixture fixture;

        public IdentityTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        public static IEnumerable<object[]> Shapes => new[]
        {
            new object[] { "hashtable", "@{ UserId = $id } | Invoke-MgLicenseUser" },
            new object[] { "hashtable, other case", "@{ USERID = $id } | Invoke-MgLicenseUser" },
            new object[] { "ordered dictionary", "[ordered]@{ DriveId = 'd'; userId = $id } | Invoke-MgLicenseUser" },
            new object[] { "generic dictionary", "$d = [System.Collections.Generic.Dictionary[string, object]]::new(); $d['UserId'] = $id; Invoke-MgLicenseUser -InputObject $d" },
            new object[] { "PSCustomObject", "[pscustomobject]@{ userid = $id; Other = 1 } | Invoke-MgLicenseUser" },
            new object[] { ".NET object", "[MgLicense.Tests.UserReference]::new($id) | Invoke-MgLicenseUser" },
            new object[] { "object with Id only (Get-MgUser)", "[pscustomobject]@{ Id = $id; DisplayName = 'Someone' } | Invoke-MgLicenseUser" },
            new object[] { "plain string from the pipeline", "$id | Invoke-MgLicenseUser" },
            new object[] { "plain string to -InputObject", "Invoke-MgLicenseUser -InputObject $id" },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void EachShapeReprocessesTheUserItNames(string shape, string script)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string id = fixture.UserId(1);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run(script, new Dictionary<string, object?> { ["id"] = id }));

            Assert.True(result.AllErrors.Count == 0, shape + ": " + string.Join("; ", result.AllErrors));
            Assert.Equal(id, Assert.Single(result.Output).Properties["Id"].Value);
            Assert.Equal(new[] { Sent.PathFor("Invoke-MgLicenseUser", id) }, Sent.Paths(sent));
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser")]
        [InlineData("Invoke-MgBetaLicenseUser")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment")]
        [InlineData("Invoke-MgBetaLicenseUser2")]
        public void EveryCmdletTakesHashtablesObjectsAndStringsInOrder(string cmdlet)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string[] ids = { fixture.UserId(0), fixture.UserId(1), fixture.UserId(2) };

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run($"@{{ UserId = $a }}, [pscustomobject]@{{ Id = $b }}, $c | {cmdlet}",
                    new Dictionary<string, object?> { ["a"] = ids[0], ["b"] = ids[1], ["c"] = ids[2] }));

            result.ThrowIfFailed();
            Assert.Equal(Sent.SortedPaths(ids.Select(id => Sent.PathFor(cmdlet, id))), Sent.SortedPaths(Sent.Paths(sent)));
            if (cmdlet == "Invoke-MgBetaReprocessUserCloudLicensingAssignment")
            {
                Assert.Empty(result.Output);
            }
            else
            {
                Assert.Equal(ids, result.Output.Select(o => (string)o.Properties["Id"].Value));
            }
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser")]
        [InlineData("Invoke-MgBetaLicenseUser")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment")]
        [InlineData("Invoke-MgBetaLicenseUser2")]
        public void AnIdentityWithoutAUserIsTheOfficialTerminatingError(string cmdlet)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run($"try {{ @{{ DriveId = 'x'; MessageId = 'y' }}, @{{ UserId = $a }} | {cmdlet} }} catch {{ 'caught' ; $_ }}",
                    new Dictionary<string, object?> { ["a"] = fixture.UserId(0) }));

            Assert.Empty(sent);
            Assert.Equal("caught", result.Output[0].BaseObject);
            var error = Assert.IsType<ErrorRecord>(result.Output[1].BaseObject);
            Assert.Equal("InputObject has null value for InputObject.UserId", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
            Assert.Equal("InvalidArgument," + Sent.ClassOf(cmdlet), error.FullyQualifiedErrorId);
        }

        [Fact]
        public void APipedIdentityHashtableIsNotAlsoSentAsHeaders()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("@{ UserId = $id; 'x-not-a-header' = 'identity key' } | Invoke-MgLicenseUser",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            result.ThrowIfFailed();
            JsonElement request = Assert.Single(sent);
            Assert.DoesNotContain("userid", Sent.HeaderNames(request));
            Assert.DoesNotContain("x-not-a-header", Sent.HeaderNames(request));
        }

        [Fact]
        public void APipedHeadersDictionaryWithUserIdIsSentAsHeaders()
        {
            // -Headers takes pipeline input by value, as the official parameter does.
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("@{ 'x-piped-header' = 'yes' } | Invoke-MgLicenseUser -UserId $id",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            result.ThrowIfFailed();
            Assert.Equal("yes", Sent.Header(Assert.Single(sent), "x-piped-header"));
        }

        [Fact]
        public void APropertyThatCannotBeReadIsNamedAndNothingIsSentForIt()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string id = fixture.UserId(0);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("[MgLicense.Tests.BrokenUser]::new(), @{ UserId = $id } | Invoke-MgLicenseUser",
                    new Dictionary<string, object?> { ["id"] = id }));

            Assert.Null(result.Terminating);
            Assert.Equal(new[] { Sent.PathFor("Invoke-MgLicenseUser", id) }, Sent.Paths(sent));
            Assert.Equal(id, Assert.Single(result.Output).Properties["Id"].Value);
            ErrorRecord error = Assert.Single(result.Errors);
            Assert.Contains("'UserId'", error.Exception.Message);
            Assert.Contains("the directory cache is offline", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
            Assert.IsType<BrokenUser>(error.TargetObject);
        }

        [Fact]
        public void AScriptPropertyThatThrowsIsNamed()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run(
                    "$o = [pscustomobject]@{ DisplayName = 'x' }; $o.psobject.Properties.Add([psscriptproperty]::new('UserId', { throw 'lookup failed' })); $o | Invoke-MgLicenseUser"));

            Assert.Empty(sent);
            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Contains("'UserId'", error.Exception.Message);
            Assert.Contains("lookup failed", error.Exception.Message);
        }

        [Fact]
        public void EachInputGivesOneOutputOrOneErrorInInputOrder()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string[] ids = { fixture.UserId(0), "00000000-0000-0000-0000-00000000dea1", fixture.UserId(1), "00000000-0000-0000-0000-00000000dea2", fixture.UserId(2) };

            RunResult result = session.Run("$ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser 2>&1",
                new Dictionary<string, object?> { ["ids"] = ids });

            Assert.Null(result.Terminating);
            Assert.Equal(5, result.Output.Count);
            for (int i = 0; i < ids.Length; i++)
            {
                if (i % 2 == 0)
                {
                    Assert.Equal(ids[i], result.Output[i].Properties["Id"].Value);
                }
                else
                {
                    var error = Assert.IsType<ErrorRecord>(result.Output[i].BaseObject);
                    Assert.Contains(ids[i], error.Exception.Message);
                }
            }
        }
    
        /// <summary>
        /// The identity objects of tests/data/bad-input.json whose values a PowerShell hashtable carries as they are (scalars
        /// and nulls), as -InputObject: each reaches exactly its path or is refused with its text and nothing is sent.
        /// </summary>
        [Fact]
        public void CorpusIdentityObjectsNameExactlyTheirUserOrAreRefused()
        {
            using JsonDocument corpus = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.RepoRoot, "tests", "data", "bad-input.json")));
            var cases = corpus.RootElement.GetProperty("identities").EnumerateArray()
                .Where(c => c.GetProperty("identity") is { ValueKind: JsonValueKind.Object } o
                    && o.EnumerateObject().All(p => p.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)))
                .ToArray();
            Assert.True(cases.Length >= 12, $"only {cases.Length} corpus identities are hashtable-shaped");

            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            foreach (JsonElement c in cases)
            {
                // Keys that differ only in case cannot share a Hashtable; an ordinal one keeps them apart as an IDictionary would.
                var identity = new Hashtable(StringComparer.Ordinal);
                foreach (JsonProperty p in c.GetProperty("identity").EnumerateObject())
                {
                    identity[p.Name] = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.Number => p.Value.GetInt64(),
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => null,
                    };
                }

                RunResult result = null!;
                IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                    result = session.Run("try { Invoke-MgLicenseUser -InputObject $i } catch { $_ }", new Dictionary<string, object?> { ["i"] = identity }));
                string what = c.GetRawText();
                if (c.TryGetProperty("refused", out JsonElement refused))
                {
                    Assert.True(sent.Count == 0, $"{what}: sent {sent.Count} request(s)");
                    var error = result.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Concat(result.Errors).FirstOrDefault();
                    Assert.True(error is not null, $"{what}: no error");
                    Assert.Contains(refused.GetString()!, error!.Exception.Message);
                    Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
                }
                else
                {
                    Assert.True(sent.Count == 1, $"{what}: sent {sent.Count} request(s)");
                    Assert.Equal(c.GetProperty("path").GetString(), sent[0].GetProperty("path").GetString());
                }
            }
        }
}
}
