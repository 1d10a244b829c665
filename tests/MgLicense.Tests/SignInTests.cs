// Connect-MgGraph's real sign-in against the emulator's login side: each app-only flow end to end, its failures, and no secret in any stream.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed partial class SignInTests
    {
        private const string Secret = "Zq8~secret.Value_for-MgLicense-tests";
        private static readonly HttpClient Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        private readonly PowerShellFixture fixture;

        public SignInTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private string TenantId()
        {
            string text = Http.GetStringAsync(fixture.EmulatorUrl + "/_emulator/health").GetAwaiter().GetResult();
            using JsonDocument d = JsonDocument.Parse(text);
            return d.RootElement.GetProperty("tenantId").GetString()!;
        }

        private void Register(object app)
        {
            using HttpResponseMessage r = Http.PostAsync(fixture.EmulatorUrl + "/_emulator/apps",
                new StringContent(JsonSerializer.Serialize(app), Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
            Assert.True(r.IsSuccessStatusCode, r.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        }

        private static X509Certificate2 NewCertificate()
        {
            using RSA rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=MgLicense sign-in test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using X509Certificate2 made = request.CreateSelfSigned(DateTimeOffset.Now.AddMinutes(-5), DateTimeOffset.Now.AddDays(1));
            return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx, "pfx-pass"), "pfx-pass", X509KeyStorageFlags.Exportable);
        }

        private static void AssertNoSecrets(RunResult result, Session session, params string[] secrets)
        {
            var texts = new List<string>();
            texts.AddRange(result.Output.Select(o => o?.ToString() ?? string.Empty));
            texts.AddRange(result.Warnings);
            texts.AddRange(result.Verbose);
            texts.AddRange(result.Debug);
            texts.AddRange(result.Information);
            texts.AddRange(session.Console.Lines);
            foreach (ErrorRecord e in result.AllErrors)
            {
                texts.Add(e.ToString());
                texts.Add(e.Exception.ToString());
                texts.Add(e.ErrorDetails?.Message ?? string.Empty);
            }

            foreach (string text in texts)
            {
                foreach (string secret in secrets)
                {
                    Assert.DoesNotContain(secret, text);
                }

                Assert.DoesNotContain("eyJ", text);
            }
        }

        private RunResult Run(Session session, string script, Dictionary<string, object?> variables)
        {
            variables["environment"] = PowerShellFixture.EmulatorEnvironment;
            variables["user"] = fixture.UserId(0);
            return session.Run(script, variables);
        }

        [Fact]
        public void ClientSecretConnectsAppOnlyAndReprocesses()
        {
            string app = Guid.NewGuid().ToString();
            Register(new { appId = app, secrets = new[] { new { value = Secret } }, roles = new[] { "User.ReadWrite.All" } });
            using Session session = fixture.NewSession();
            var credential = new PSCredential(app, PowerShellFixture.Secure(Secret));

            RunResult result = Run(session,
                "Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome -Verbose -Debug; "
                + "Get-MgContext; Invoke-MgLicenseUser -UserId $user -Debug -Verbose",
                new Dictionary<string, object?> { ["tenant"] = TenantId(), ["credential"] = credential });

            result.ThrowIfFailed();
            PSObject context = result.Output[0];
            Assert.Equal("AppOnly", context.Properties["AuthType"].Value);
            Assert.Equal("ClientSecret", context.Properties["TokenCredentialType"].Value);
            Assert.Equal(app, context.Properties["ClientId"].Value);
            Assert.Equal(fixture.UserId(0), result.Output[1].Properties["Id"].Value);
            AssertNoSecrets(result, session, Secret);
        }

        [Fact]
        public void AWrongSecretIsAnAuthenticationErrorThatSaysWhatToCheck()
        {
            string app = Guid.NewGuid().ToString();
            Register(new { appId = app, secrets = new[] { new { value = Secret } }, roles = new[] { "User.ReadWrite.All" } });
            using Session session = fixture.NewSession();
            string wrong = Secret + "-wrong";

            RunResult result = Run(session, "Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -Debug -Verbose",
                new Dictionary<string, object?> { ["tenant"] = TenantId(), ["credential"] = new PSCredential(app, PowerShellFixture.Secure(wrong)) });

            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            Assert.Contains("AADSTS7000215", error.Exception.Message);
            Assert.Contains("secret's value", error.Exception.Message);
            AssertNoSecrets(result, session, wrong, Secret);
        }

        [Fact]
        public void CertificatesFromAnObjectAPfxAndAPemFileAllSignIn()
        {
            using X509Certificate2 certificate = NewCertificate();
            string app = Guid.NewGuid().ToString();
            Register(new { appId = app, certificates = new[] { Convert.ToBase64String(certificate.RawData) }, roles = new[] { "User.ReadWrite.All" } });
            string dir = Path.Combine(Path.GetTempPath(), "mgl-signin-" + Guid.NewGuid());
            Directory.CreateDirectory(dir);
            string pfx = Path.Combine(dir, "app.pfx");
            string pem = Path.Combine(dir, "app.pem");
            File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, "pfx-pass"));
            using (RSA key = certificate.GetRSAPrivateKey()!)
            {
                File.WriteAllText(pem, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
            }

            try
            {
                foreach (string how in new[] { "-Certificate $certificate", "-CertificatePath $pfx -CertificatePassword $password", "-CertificatePath $pem" })
                {
                    using Session session = fixture.NewSession();
                    RunResult result = Run(session,
                        $"Connect-MgGraph -ClientId $app -TenantId $tenant {how} -Environment $environment -NoWelcome; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId $user",
                        new Dictionary<string, object?>
                        {
                            ["app"] = app, ["tenant"] = TenantId(), ["certificate"] = certificate, ["pfx"] = pfx, ["pem"] = pem,
                            ["password"] = PowerShellFixture.Secure("pfx-pass"),
                        });
                    result.ThrowIfFailed();
                    Assert.Equal("ClientCertificate", result.Output[0].BaseObject);
                    Assert.Equal(fixture.UserId(0), result.Output[1].Properties["Id"].Value);
                    AssertNoSecrets(result, session, "pfx-pass", "PRIVATE KEY");
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [Fact]
        public void EnvironmentVariablesNamingAPfxWithItsPasswordSignIn()
        {
            using X509Certificate2 certificate = NewCertificate();
            string app = Guid.NewGuid().ToString();
            Register(new { appId = app, certificates = new[] { Convert.ToBase64String(certificate.RawData) }, roles = new[] { "User.ReadWrite.All" } });
            string dir = Path.Combine(Path.GetTempPath(), "mgl-envcert-" + Guid.NewGuid());
            Directory.CreateDirectory(dir);
            string pfx = Path.Combine(dir, "app.pfx");
            File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, "env-pfx-pass"));
            var variables = new Dictionary<string, string?>
            {
                ["AZURE_TENANT_ID"] = TenantId(),
                ["AZURE_CLIENT_ID"] = app,
                ["AZURE_CLIENT_CERTIFICATE_PATH"] = pfx,
                ["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = "env-pfx-pass",
                ["AZURE_CLIENT_SECRET"] = null,
            };
            var before = variables.Keys.ToDictionary(k => k, k => Environment.GetEnvironmentVariable(k));
            try
            {
                foreach (KeyValuePair<string, string?> v in variables)
                {
                    Environment.SetEnvironmentVariable(v.Key, v.Value);
                }

                using Session session = fixture.NewSession();
                RunResult result = Run(session,
                    "Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId $user",
                    new Dictionary<string, object?>());
                result.ThrowIfFailed();
                Assert.Equal("EnvironmentVariable", result.Output[0].BaseObject);
                Assert.Equal(fixture.UserId(0), result.Output[1].Properties["Id"].Value);
                AssertNoSecrets(result, session, "env-pfx-pass", "PRIVATE KEY");

                // The wrong password is refused by name, and nothing is signed in with it.
                Environment.SetEnvironmentVariable("AZURE_CLIENT_CERTIFICATE_PASSWORD", "not-the-password");
                RunResult wrong = Run(session, "Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome", new Dictionary<string, object?>());
                ErrorRecord error = Assert.Single(wrong.AllErrors);
                Assert.Contains(pfx, error.Exception.Message);
                AssertNoSecrets(wrong, session, "not-the-password", "env-pfx-pass");
            }
            finally
            {
                foreach (KeyValuePair<string, string?> v in before)
                {
                    Environment.SetEnvironmentVariable(v.Key, v.Value);
                }

                Directory.Delete(dir, recursive: true);
            }
        }

        [Fact]
        public void CertificateAndSecretMistakesAreNamedBeforeAnythingIsSent()
        {
            using X509Certificate2 certificate = NewCertificate();
            string dir = Path.Combine(Path.GetTempPath(), "mgl-badcert-" + Guid.NewGuid());
            Directory.CreateDirectory(dir);
            string encrypted = Path.Combine(dir, "encrypted.pem");
            using (RSA key = certificate.GetRSAPrivateKey()!)
            {
                var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000);
                File.WriteAllText(encrypted, certificate.ExportCertificatePem() + "\n" + key.ExportEncryptedPkcs8PrivateKeyPem("pem-pass", pbe) + "\n");
            }

            try
            {
                var cases = new Dictionary<string, string>
                {
                    ["Connect-MgGraph -ClientId $app -TenantId $tenant -CertificatePath $encrypted -Environment $environment -NoWelcome"] = "encrypted private key",
                    ["Connect-MgGraph -ClientId $app -TenantId $tenant -CertificateThumbprint 0011 -CertificatePassword $password -Environment $environment -NoWelcome"] = "-CertificatePassword opens the file given with -CertificatePath",
                    ["Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome"] = "must be the application's client id",
                };
                foreach (KeyValuePair<string, string> c in cases)
                {
                    using Session session = fixture.NewSession();
                    RunResult result = null!;
                    IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() => result = Run(session, c.Key, new Dictionary<string, object?>
                    {
                        ["app"] = Guid.NewGuid().ToString(), ["tenant"] = TenantId(), ["encrypted"] = encrypted,
                        ["password"] = PowerShellFixture.Secure("pem-pass"),
                        ["credential"] = new PSCredential(" ", PowerShellFixture.Secure("a-secret")),
                    }));
                    ErrorRecord error = Assert.Single(result.AllErrors);
                    Assert.Contains(c.Value, error.Exception.Message);
                    Assert.Empty(sent);
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        /// <summary>
        /// $env:HTTPS_PROXY set in PowerShell (on Linux, .NET's copy of the environment only) reaches the engine: a
        /// sign-in to an https authority goes to the loopback proxy as a CONNECT, while the loopback emulator is reached
        /// directly. The proxy refuses every tunnel, so nothing leaves the machine and no remote name is looked up.
        /// </summary>
        [Fact]
        public void HttpsProxyFromEnvCarriesSignInToRemoteAuthoritiesButNotToLoopback()
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var serving = System.Threading.Tasks.Task.Run(async () =>
            {
                while (true)
                {
                    using System.Net.Sockets.TcpClient client = await listener.AcceptTcpClientAsync();
                    var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
                    seen.Enqueue(await reader.ReadLineAsync() ?? string.Empty);
                    byte[] refusal = Encoding.ASCII.GetBytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    await client.GetStream().WriteAsync(refusal);
                }
            });
            string app = Guid.NewGuid().ToString();
            Register(new { appId = app, secrets = new[] { new { value = Secret } }, roles = new[] { "User.ReadWrite.All" } });
            string? before = Environment.GetEnvironmentVariable("HTTPS_PROXY");
            Environment.SetEnvironmentVariable("HTTPS_PROXY", "http://" + listener.LocalEndpoint);
            try
            {
                using Session session = fixture.NewSession();
                var credential = new PSCredential(app, PowerShellFixture.Secure(Secret));
                var variables = new Dictionary<string, object?> { ["tenant"] = TenantId(), ["credential"] = credential };
                RunResult direct = Run(session, "Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome; (Get-MgContext).AuthType", variables);
                direct.ThrowIfFailed();
                Assert.Empty(seen);

                RunResult remote = Run(session,
                    "$null = Add-MgEnvironment -Name ProxiedCloud -GraphEndpoint https://graph.example.invalid -AzureADEndpoint https://login.example.invalid; "
                    + "try { Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment ProxiedCloud -NoWelcome } "
                    + "finally { Remove-MgEnvironment -Name ProxiedCloud }",
                    variables);
                Assert.NotEmpty(remote.AllErrors);
                Assert.Equal(new[] { "CONNECT login.example.invalid:443 HTTP/1.1" }, seen.ToArray());
                AssertNoSecrets(remote, session, Secret);
            }
            finally
            {
                Environment.SetEnvironmentVariable("HTTPS_PROXY", before);
                listener.Stop();
            }
        }

        [Fact]
        public void ManagedIdentityUsesTheOverriddenImdsEndpointAndRemoveEnvironmentForgetsOne()
        {
            string app = Guid.NewGuid().ToString();
            Register(new { appId = app, managedIdentity = "user", roles = new[] { "User.ReadWrite.All" } });
            string? before = Environment.GetEnvironmentVariable("MGLICENSE_IMDS_ENDPOINT");
            Environment.SetEnvironmentVariable("MGLICENSE_IMDS_ENDPOINT", fixture.EmulatorUrl + "/metadata/identity/oauth2/token");
            try
            {
                using Session session = fixture.NewSession();
                RunResult result = Run(session,
                    "Connect-MgGraph -Identity -ClientId $app -Environment $environment -NoWelcome; (Get-MgContext).AuthType; Invoke-MgLicenseUser -UserId $user",
                    new Dictionary<string, object?> { ["app"] = app });
                result.ThrowIfFailed();
                Assert.Equal("AppOnly", result.Output[0].BaseObject);
                Assert.Equal(fixture.UserId(0), result.Output[1].Properties["Id"].Value);

                RunResult removed = session.Run(
                    "$null = Add-MgEnvironment -Name Temporary -GraphEndpoint https://graph.example.test -AzureADEndpoint https://login.example.test; "
                    + "Remove-MgEnvironment -Name Temporary; Get-MgEnvironment -Name Temp*");
                removed.ThrowIfFailed();
                Assert.Empty(removed.Output);
            }
            finally
            {
                Environment.SetEnvironmentVariable("MGLICENSE_IMDS_ENDPOINT", before);
            }
        }
    }
}
