// Connect-MgGraph, Get-MgContext, Disconnect-MgGraph and the environment cmdlets, as a script would use them.
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class ConnectionTests
    {
        private readonly PowerShellFixture fixture;

        public ConnectionTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Fact]
        public void ConnectWelcomesUnlessToldNotTo()
        {
            using Session session = fixture.NewSession();

            RunResult result = session.Run("Connect-MgGraph -AccessToken $token -Environment $environment",
                new Dictionary<string, object?>
                {
                    ["token"] = PowerShellFixture.Secure(fixture.MintToken("User.ReadWrite.All")),
                    ["environment"] = PowerShellFixture.EmulatorEnvironment,
                });

            result.ThrowIfFailed();
            Assert.Empty(result.Output);
            Assert.Equal("Welcome to Microsoft Graph!", session.Console.Lines.First());
            Assert.Contains(session.Console.Lines, l => l.StartsWith("Connected via userprovidedaccesstoken access using "));
            Assert.Contains("NOTE: You can use the -NoWelcome parameter to suppress this message.", session.Console.Lines);

            using Session quiet = fixture.NewSession();
            quiet.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            Assert.Empty(quiet.Console.Lines);
        }

        [Fact]
        public void ContextDescribesTheConnectionAndDisappearsOnDisconnect()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult connected = session.Run("Get-MgContext");

            connected.ThrowIfFailed();
            PSObject context = Assert.Single(connected.Output);
            Assert.Equal("UserProvidedAccessToken", context.Properties["AuthType"].Value);
            Assert.Equal("UserProvidedAccessToken", context.Properties["TokenCredentialType"].Value);
            Assert.Equal(PowerShellFixture.EmulatorEnvironment, context.Properties["Environment"].Value);
            Assert.Contains("User.ReadWrite.All", Assert.IsType<string[]>(context.Properties["Scopes"].Value));
            Assert.False(string.IsNullOrEmpty(context.Properties["TenantId"].Value as string));
            Assert.NotNull(context.Properties["ClientId"]);
            Assert.NotNull(context.Properties["AppName"]);
            Assert.NotNull(context.Properties["Account"]);
            Assert.Equal("Microsoft.Graph.PowerShell.Authentication.AuthContext", context.TypeNames[0]);

            RunResult disconnected = session.Run("Disconnect-MgGraph");
            disconnected.ThrowIfFailed();
            Assert.Equal("UserProvidedAccessToken", Assert.Single(disconnected.Output).Properties["AuthType"].Value);

            RunResult after = session.Run("Get-MgContext");
            after.ThrowIfFailed();
            Assert.Empty(after.Output);

            RunResult again = session.Run("Disconnect-MgGraph");
            Assert.Empty(again.Output);
            Assert.Equal("NotConnected,MgLicense.Commands.DisconnectMgGraph", Assert.Single(again.AllErrors).FullyQualifiedErrorId);
        }

        [Fact]
        public void TheConnectionIsProcessWide()
        {
            using Session first = fixture.NewSession();
            using Session second = fixture.NewSession();

            first.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            RunResult result = second.Run("(Get-MgContext).AuthType");

            result.ThrowIfFailed();
            Assert.Equal("UserProvidedAccessToken", Assert.Single(result.Output).BaseObject);
        }

        [Fact]
        public void EnvironmentsListTheBuiltInClouds()
        {
            using Session session = fixture.NewSession();

            RunResult all = session.Run("Get-MgEnvironment");
            RunResult global = session.Run("Get-MgEnvironment -Name Global");
            RunResult wildcard = session.Run("Get-MgEnvironment -Name NoSuch*");
            RunResult missing = session.Run("Get-MgEnvironment -Name NoSuchCloud");

            all.ThrowIfFailed();
            Assert.Contains(all.Output, e => (string)e.Properties["Name"].Value == "USGov");
            Assert.Contains(all.Output, e => (string)e.Properties["Name"].Value == "China");
            PSObject environment = Assert.Single(global.Output);
            Assert.Equal("https://graph.microsoft.com", environment.Properties["GraphEndpoint"].Value);
            Assert.Equal("https://login.microsoftonline.com", environment.Properties["AzureADEndpoint"].Value);
            Assert.Equal("Built-in", environment.Properties["Type"].Value);
            Assert.Empty(wildcard.AllErrors);
            Assert.Empty(wildcard.Output);
            Assert.Equal("EnvironmentNotFound,MgLicense.Commands.GetMgEnvironment", Assert.Single(missing.AllErrors).FullyQualifiedErrorId);
        }

        [Fact]
        public void AddedEnvironmentsAreUserDefinedAndListed()
        {
            using Session session = fixture.NewSession();

            RunResult added = session.Run(
                "Add-MgEnvironment -Name Contoso -GraphEndpoint https://graph.contoso.test -AzureADEndpoint https://login.contoso.test");
            RunResult listed = session.Run("Get-MgEnvironment -Name contoso");

            added.ThrowIfFailed();
            PSObject environment = Assert.Single(added.Output);
            Assert.Equal("Contoso", environment.Properties["Name"].Value);
            Assert.Equal("https://graph.contoso.test", environment.Properties["GraphEndpoint"].Value);
            Assert.Equal("https://login.contoso.test", environment.Properties["AzureADEndpoint"].Value);
            Assert.Equal("User-defined", environment.Properties["Type"].Value);
            Assert.Equal("https://graph.contoso.test", Assert.Single(listed.Output).Properties["GraphEndpoint"].Value);
        }
    }
}
