// No secret in any stream, per sign-in method: each method runs with -Debug -Verbose, a call that succeeds and one that fails, and every stream, error and the -ResponseHeadersVariable dictionary is searched for every credential the emulator's login side issued or was given.
using System;
using System.Collections;
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
    public sealed partial class SignInTests
    {
        /// <summary>After the connect command: the context, a call that succeeds, one that fails (a Graph error with ErrorDetails), each with -Debug -Verbose.</summary>
        private const string Calls =
            "; Get-MgContext; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId $user -Debug -Verbose -ResponseHeadersVariable h; "
            + "Invoke-MgLicenseUser -UserId 'nobody-at-all@contoso.com' -Debug -Verbose -ErrorAction Continue";

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        /// <summary>Every credential the emulator's login side handed out so far (access, refresh and device codes, authorization codes) and the X-IDENTITY-HEADER value.</summary>
        private string[] IssuedCredentials()
        {
            string issued = fixture.Admin(HttpMethod.Get, "login/issued");
            using JsonDocument d = JsonDocument.Parse(issued);
            var values = d.RootElement.EnumerateArray().Select(e => e.GetProperty("value").GetString()!).ToList();
            values.Add(IdentityHeader());
            return values.ToArray();
        }

        private string IdentityHeader()
        {
            using JsonDocument d = JsonDocument.Parse(fixture.Admin(HttpMethod.Get, "login"));
            return d.RootElement.GetProperty("identityHeader").GetString()!;
        }

        private JsonElement[] LoginRequests()
        {
            using JsonDocument d = JsonDocument.Parse(fixture.Admin(HttpMethod.Get, "login/requests"));
            return d.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
        }

        /// <summary>The private key's PKCS#8 base64 and each PEM line of it, which must appear nowhere.</summary>
        private static string[] KeyMaterial(X509Certificate2 certificate)
        {
            using RSA key = certificate.GetRSAPrivateKey()!;
            string base64 = Convert.ToBase64String(key.ExportPkcs8PrivateKey());
            string[] pemLines = key.ExportPkcs8PrivateKeyPem().Split('\n').Where(l => l.Length > 20 && !l.StartsWith("-----", StringComparison.Ordinal)).ToArray();
            string rsa = Convert.ToBase64String(key.ExportRSAPrivateKey());
            return pemLines.Append(base64).Append(rsa.Substring(0, 64)).Append("PRIVATE KEY").ToArray();
        }

        /// <summary>Runs the connect command and <see cref="Calls"/>; <paramref name="during"/> sees the pipeline (to approve a device code from its warning).</summary>
        private RunResult RunMethod(Session session, string connect, Dictionary<string, object?> variables, Action<PowerShell>? during = null)
        {
            variables["environment"] = PowerShellFixture.EmulatorEnvironment;
            variables["user"] = fixture.UserId(0);
            variables["h"] = null;
            return session.Run(connect + " -Debug -Verbose" + Calls, variables, during);
        }

        /// <summary>The method signed in and worked (one success, one 404), and no stream holds a credential.</summary>
        private void AssertWorkedWithoutLeaks(RunResult result, Session session, string method, params string[] secrets)
        {
            Assert.True(result.Terminating is null, method + ": " + result.Terminating);
            Assert.Contains(result.Output, o => o.Properties["Id"]?.Value as string == fixture.UserId(0));
            Assert.True(result.Errors.Count == 1, method + ": " + string.Join(" | ", result.Errors.Select(e => e.FullyQualifiedErrorId + " " + e.InvocationInfo?.MyCommand?.Name + " " + e.Exception.Message.Split('\n')[0])));
            ErrorRecord notFound = result.Errors[0];
            Assert.NotNull(notFound.ErrorDetails);
            Assert.NotEmpty(result.Verbose);
            Assert.NotEmpty(result.Debug);
            var headers = Assert.IsAssignableFrom<IDictionary>(session.Variable("h") is PSObject p ? p.BaseObject : session.Variable("h"));
            Assert.NotEmpty(headers);
            var texts = new List<string>();
            foreach (DictionaryEntry entry in headers)
            {
                texts.Add(entry.Key + ": " + string.Join(", ", entry.Value is IEnumerable e and not string ? e.Cast<object?>().Select(x => x?.ToString()) : new[] { entry.Value?.ToString() }));
            }

            texts.AddRange(result.Output.Select(o => o?.ToString() ?? string.Empty));
            texts.AddRange(result.Output.Where(o => o is not null).SelectMany(o => o.Properties).Select(p => p.Name + "=" + (p.Value is IEnumerable v and not string ? string.Join(" ", v.Cast<object?>()) : p.Value?.ToString())));
            texts.AddRange(result.Warnings.Concat(result.Verbose).Concat(result.Debug).Concat(result.Information).Concat(session.Console.Lines));
            foreach (ErrorRecord e in result.AllErrors)
            {
                texts.Add(e.ToString());
                texts.Add(e.Exception.ToString());
                texts.Add(e.ErrorDetails?.Message ?? string.Empty);
                texts.Add(e.ErrorDetails?.RecommendedAction ?? string.Empty);
                texts.Add(e.TargetObject?.ToString() ?? string.Empty);
            }

            string[] all = secrets.Concat(IssuedCredentials()).Where(s => s.Length >= 8).ToArray();
            foreach (string text in texts)
            {
                foreach (string secret in all)
                {
                    Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{method}: a credential ({secret.Substring(0, 4)}...) appears in: {text}");
                }

                Assert.False(text.Contains("eyJ", StringComparison.Ordinal), $"{method}: a JWT appears in: {text}");
            }
        }

        private static IDisposable Variables(Dictionary<string, string?> values)
        {
            var before = values.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
            foreach (KeyValuePair<string, string?> v in values)
            {
                Environment.SetEnvironmentVariable(v.Key, v.Value);
            }

            return new Restore(() =>
            {
                foreach (KeyValuePair<string, string?> v in before)
                {
                    Environment.SetEnvironmentVariable(v.Key, v.Value);
                }
            });
        }

        private sealed class Restore : IDisposable
        {
            private readonly Action undo;

            public Restore(Action undo) => this.undo = undo;

            public void Dispose() => undo();
        }

        [Fact]
        public void NoMethodShowsACredentialInAnyStream()
        {
            string tenant = TenantId();
            string app = Guid.NewGuid().ToString();
            string secret = "Kx7~" + Guid.NewGuid().ToString("N") + ".envSecret";
            Register(new { appId = app, secrets = new[] { new { value = Secret }, new { value = secret } }, roles = new[] { "User.ReadWrite.All" } });
            string identity = Guid.NewGuid().ToString();
            Register(new { appId = identity, managedIdentity = "user", roles = new[] { "User.ReadWrite.All" } });
            var clear = new Dictionary<string, string?>
            {
                ["IDENTITY_ENDPOINT"] = null, ["IDENTITY_HEADER"] = null, ["MGLICENSE_IMDS_ENDPOINT"] = null, ["AZURE_TENANT_ID"] = null,
                ["AZURE_CLIENT_ID"] = null, ["AZURE_CLIENT_SECRET"] = null, ["AZURE_CLIENT_CERTIFICATE_PATH"] = null, ["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = null,
            };
            using IDisposable cleared = Variables(clear);

            using (Session session = fixture.NewSession())
            {
                RunResult r = RunMethod(session, "Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome",
                    new Dictionary<string, object?> { ["tenant"] = tenant, ["credential"] = new PSCredential(app, PowerShellFixture.Secure(Secret)) });
                AssertWorkedWithoutLeaks(r, session, "-ClientSecretCredential", Secret);
            }

            using (Variables(new Dictionary<string, string?> { ["AZURE_TENANT_ID"] = tenant, ["AZURE_CLIENT_ID"] = app, ["AZURE_CLIENT_SECRET"] = secret }))
            using (Session session = fixture.NewSession())
            {
                RunResult r = RunMethod(session, "Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome", new Dictionary<string, object?>());
                AssertWorkedWithoutLeaks(r, session, "-EnvironmentVariable", secret, Secret);
            }

            using (Variables(new Dictionary<string, string?> { ["IDENTITY_ENDPOINT"] = fixture.EmulatorUrl + "/msi/token", ["IDENTITY_HEADER"] = IdentityHeader() }))
            using (Session session = fixture.NewSession())
            {
                RunResult r = RunMethod(session, "Connect-MgGraph -Identity -ClientId $app -Environment $environment -NoWelcome", new Dictionary<string, object?> { ["app"] = identity });
                AssertWorkedWithoutLeaks(r, session, "-Identity (IDENTITY_ENDPOINT)");
                Assert.Equal("identity", LoginRequests().Last().GetProperty("endpoint").GetString());
            }

            using (Variables(new Dictionary<string, string?> { ["MGLICENSE_IMDS_ENDPOINT"] = fixture.EmulatorUrl + "/metadata/identity/oauth2/token" }))
            using (Session session = fixture.NewSession())
            {
                RunResult r = RunMethod(session, "Connect-MgGraph -Identity -ClientId $app -Environment $environment -NoWelcome", new Dictionary<string, object?> { ["app"] = identity });
                AssertWorkedWithoutLeaks(r, session, "-Identity (IMDS)");
                Assert.Equal("imds", LoginRequests().Last().GetProperty("endpoint").GetString());
            }

            using (Session session = fixture.NewSession())
            {
                // -Debug makes PowerShell inquire on every warning, the device-code message included; -WarningAction Continue keeps it a plain warning.
                var approved = new List<string>();
                RunResult r = RunMethod(session, "Connect-MgGraph -UseDeviceCode -TenantId $tenant -Scopes User.ReadWrite.All -Environment $environment -NoWelcome -WarningAction Continue",
                    new Dictionary<string, object?> { ["tenant"] = tenant },
                    shell => shell.Streams.Warning.DataAdded += (sender, e) =>
                    {
                        string message = ((PSDataCollection<WarningRecord>)sender!)[e.Index].Message;
                        const string marker = "enter the code ";
                        int at = message.IndexOf(marker, StringComparison.Ordinal);
                        if (at >= 0)
                        {
                            string code = message.Substring(at + marker.Length).Split(' ', '.')[0];
                            fixture.Admin(HttpMethod.Post, $"devicecodes/{code}/approve", JsonSerializer.Serialize(new { userId = fixture.UserId(0) }));
                            approved.Add(code);
                        }
                    });
                Assert.Single(approved);
                AssertWorkedWithoutLeaks(r, session, "-UseDeviceCode");
                Assert.Contains(r.Output, o => o.BaseObject is string s && s.Contains("DeviceCode", StringComparison.Ordinal));
            }

            if (OperatingSystem.IsWindows())
            {
                return; // The browser stand-in below is a shell script.
            }

            string dir = Path.Combine(Path.GetTempPath(), "mgl-browser-" + Guid.NewGuid());
            Directory.CreateDirectory(dir);
            string browser = Path.Combine(dir, "browser.sh");
            // The "browser": follows the authority's redirect to Connect-MgGraph's loopback listener, never through a proxy.
            File.WriteAllText(browser, "#!/bin/sh\nexec curl --noproxy '*' -s -o /dev/null -L --max-redirs 3 \"$1\"\n");
            File.SetUnixFileMode(browser, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            try
            {
                fixture.Admin(HttpMethod.Post, "login/browser", JsonSerializer.Serialize(new { userId = fixture.UserId(0) }));
                using (Variables(new Dictionary<string, string?> { ["MGLICENSE_BROWSER"] = browser }))
                using (Session session = fixture.NewSession())
                {
                    RunResult r = RunMethod(session, "Connect-MgGraph -TenantId $tenant -Scopes User.ReadWrite.All -Environment $environment -NoWelcome -WarningAction Continue",
                        new Dictionary<string, object?> { ["tenant"] = tenant });
                    AssertWorkedWithoutLeaks(r, session, "interactive browser");
                    Assert.Contains(r.Output, o => o.BaseObject is string s && s.Contains("InteractiveBrowser", StringComparison.Ordinal));
                    Assert.Contains(LoginRequests(), e => e.GetProperty("grantType").GetString() == "authorization_code");
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        /// <summary>Where no browser can be opened, the interactive sign-in says so and points to -UseDeviceCode; nothing is redeemed.</summary>
        [Fact]
        public void WithoutABrowserTheInteractiveSignInSuggestsDeviceCode()
        {
            string missing = Path.Combine(Path.GetTempPath(), "mgl-no-browser-" + Guid.NewGuid(), "browser");
            int codesBefore = LoginRequests().Count(e => e.GetProperty("grantType").GetString() == "authorization_code");
            using (Variables(new Dictionary<string, string?> { ["MGLICENSE_BROWSER"] = missing }))
            using (Session session = fixture.NewSession())
            {
                RunResult r = session.Run("Connect-MgGraph -TenantId $tenant -Scopes User.ReadWrite.All -Environment $environment -NoWelcome",
                    new Dictionary<string, object?> { ["tenant"] = TenantId(), ["environment"] = PowerShellFixture.EmulatorEnvironment });
                Exception? failure = r.Terminating ?? (Exception?)r.Errors.FirstOrDefault()?.Exception;
                Assert.True(failure is not null, "Connect-MgGraph succeeded without a browser");
                Assert.Contains("No browser could be opened", failure!.Message);
                Assert.Contains("-UseDeviceCode", failure.Message);
            }

            Assert.Equal(codesBefore, LoginRequests().Count(e => e.GetProperty("grantType").GetString() == "authorization_code"));
        }

        /// <summary>
        /// -CertificateThumbprint and -CertificateName find the certificate in the CurrentUser My store (on Linux, .NET's
        /// files under ~/.dotnet/corefx/cryptography/x509stores/my): by name the newest valid one with that subject,
        /// never an expired one; the emulator's token endpoint sees which one signed (the assertion's x5t).
        /// </summary>
        [Fact]
        public void StoreCertificatesByThumbprintAndByNameTheNewestValidOneSigns()
        {
            string subject = "MgLicense store test " + Guid.NewGuid().ToString("N");
            using X509Certificate2 newest = StoreCertificate(subject, DateTimeOffset.Now.AddMinutes(-5), DateTimeOffset.Now.AddDays(1));
            using X509Certificate2 older = StoreCertificate(subject, DateTimeOffset.Now.AddDays(-3), DateTimeOffset.Now.AddDays(2));
            using X509Certificate2 expired = StoreCertificate(subject, DateTimeOffset.Now.AddMinutes(-3), DateTimeOffset.Now.AddMinutes(-1));
            var added = new[] { newest, older, expired };
            string app = Guid.NewGuid().ToString();
            Register(new { appId = app, certificates = added.Select(c => Convert.ToBase64String(c.RawData)).ToArray(), roles = new[] { "User.ReadWrite.All" } });
            using (var store = new X509Store(StoreName.My, StoreLocation.CurrentUser))
            {
                store.Open(OpenFlags.ReadWrite);
                foreach (X509Certificate2 c in added)
                {
                    store.Add(c);
                }
            }

            try
            {
                var cases = new (string How, object Value, X509Certificate2 Signer)[]
                {
                    ("-CertificateName $which", subject, newest),
                    ("-CertificateName $which", "CN=" + subject, newest),
                    ("-CertificateThumbprint $which", newest.Thumbprint, newest),
                    ("-CertificateThumbprint $which", older.Thumbprint.ToLowerInvariant(), older),
                };
                foreach ((string how, object value, X509Certificate2 signer) in cases)
                {
                    using Session session = fixture.NewSession();
                    RunResult r = RunMethod(session, $"Connect-MgGraph -ClientId $app -TenantId $tenant {how} -Environment $environment -NoWelcome",
                        new Dictionary<string, object?> { ["app"] = app, ["tenant"] = TenantId(), ["which"] = value });
                    AssertWorkedWithoutLeaks(r, session, how + " " + value, added.SelectMany(KeyMaterial).ToArray());
                    JsonElement token = LoginRequests().Last(e => e.GetProperty("endpoint").GetString() == "token");
                    Assert.Equal("assertion", token.GetProperty("credential").GetString());
                    Assert.Equal(Base64Url(signer.GetCertHash()), token.GetProperty("x5t").GetString());
                }

                // The expired one is refused by its thumbprint, before anything is sent.
                using (Session session = fixture.NewSession())
                {
                    RunResult r = null!;
                    int before = LoginRequests().Length;
                    r = session.Run("Connect-MgGraph -ClientId $app -TenantId $tenant -CertificateThumbprint $which -Environment $environment -NoWelcome",
                        new Dictionary<string, object?> { ["app"] = app, ["tenant"] = TenantId(), ["which"] = expired.Thumbprint, ["environment"] = PowerShellFixture.EmulatorEnvironment });
                    ErrorRecord error = Assert.Single(r.AllErrors);
                    Assert.Contains("No valid certificate", error.Exception.Message);
                    Assert.Equal(before, LoginRequests().Length);
                }
            }
            finally
            {
                using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
                store.Open(OpenFlags.ReadWrite);
                foreach (X509Certificate2 c in added)
                {
                    store.Remove(c);
                }

                Assert.Empty(store.Certificates.Find(X509FindType.FindBySubjectName, subject, validOnly: false));
            }
        }

        private static X509Certificate2 StoreCertificate(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
        {
            using RSA rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=" + subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using X509Certificate2 made = request.CreateSelfSigned(notBefore, notAfter);
            return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx, "store-pass"), "store-pass", X509KeyStorageFlags.Exportable | X509KeyStorageFlags.PersistKeySet);
        }

        /// <summary>A token given with -AccessToken that expires after Connect-MgGraph: the next call says so and sends nothing.</summary>
        [Fact]
        public void AnAccessTokenThatExpiresAfterConnectIsAClearErrorAndNothingIsSent()
        {
            string minted = fixture.Admin(HttpMethod.Post, "tokens", JsonSerializer.Serialize(new { roles = new[] { "User.ReadWrite.All" }, expiresIn = 8 }));
            using JsonDocument d = JsonDocument.Parse(minted);
            string token = d.RootElement.GetProperty("access_token").GetString()!;
            using Session session = fixture.NewSession();
            // Long enough that a busy machine still connects before it expires; then wait it out.
            session.Connect(token).ThrowIfFailed();
            System.Threading.Thread.Sleep(8500);

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() => result = Run(session, "Invoke-MgLicenseUser -UserId $user -Debug -Verbose", new Dictionary<string, object?>()));
            Assert.Empty(sent);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Contains("expired", error.Exception.Message);
            Assert.Contains("-AccessToken", error.Exception.Message);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            AssertNoSecrets(result, session, token);
        }
    }
}
