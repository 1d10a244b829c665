// Connect-MgGraph in all its parameter sets, Disconnect-MgGraph and Get-MgContext: sign-in itself happens in the engine.
using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// Connects the process to Microsoft Graph; like the official module, the connection is process-wide. Every token
    /// request happens in the engine: this cmdlet only gathers what the user gave (a secret, a certificate from a store
    /// or a file) and shows what the sign-in asks the user to see (the device-code message, the browser).
    /// </summary>
    [Cmdlet(VerbsCommunications.Connect, "MgGraph", DefaultParameterSetName = UserSet)]
    [Alias("Connect-Graph")]
    [OutputType(typeof(string))]
    public sealed class ConnectMgGraph : MgLicenseCmdlet
    {
        private const string UserSet = "UserParameterSet";
        private const string CertificateSet = "AppCertificateParameterSet";
        private const string SecretSet = "AppSecretCredentialParameterSet";
        private const string IdentitySet = "IdentityParameterSet";
        private const string EnvironmentVariableSet = "EnvironmentVariableParameterSet";
        private const string AccessTokenSet = "AccessTokenParameterSet";

        private readonly CancellationTokenSource stopping = new CancellationTokenSource();

        // Positions, aliases and sets as the official cmdlet's: `Connect-MgGraph 'User.Read.All' $tenant` binds the
        // tenant, `Connect-MgGraph $token` the access token.

        /// <summary>Delegated permissions to ask for (User.Read when omitted); a value may list several, separated by commas.</summary>
        [Parameter(ParameterSetName = UserSet, Position = 1)]
        public string[]? Scopes { get; set; }

        /// <summary>The app (client) id: the app signing in, or a user-assigned managed identity.</summary>
        [Parameter(ParameterSetName = UserSet)]
        [Parameter(ParameterSetName = CertificateSet, Mandatory = true, Position = 1)]
        [Parameter(ParameterSetName = IdentitySet)]
        [Alias("AppId", "ApplicationId")]
        public string? ClientId { get; set; }

        /// <summary>The tenant (directory) id or domain.</summary>
        [Parameter(ParameterSetName = UserSet, Position = 4)]
        [Parameter(ParameterSetName = CertificateSet)]
        [Parameter(ParameterSetName = SecretSet)]
        [Alias("Audience", "Tenant")]
        public string? TenantId { get; set; }

        [Parameter(ParameterSetName = CertificateSet, Position = 2)]
        [Alias("CertificateSubject", "CertificateSubjectName")]
        public string? CertificateName { get; set; }

        [Parameter(ParameterSetName = CertificateSet, Position = 3)]
        public string? CertificateThumbprint { get; set; }

        [Parameter(ParameterSetName = CertificateSet)]
        public X509Certificate2? Certificate { get; set; }

        /// <summary>MgLicense extension: a PFX or PEM file holding the certificate and its private key.</summary>
        [Parameter(ParameterSetName = CertificateSet)]
        public string? CertificatePath { get; set; }

        [Parameter(ParameterSetName = CertificateSet)]
        public SecureString? CertificatePassword { get; set; }

        /// <summary>Sends the certificate with each token request (x5c), for apps that trust subject name and issuer.</summary>
        [Parameter(ParameterSetName = CertificateSet)]
        public bool SendCertificateChain { get; set; }

        /// <summary>As the SDK's: waits for a .NET debugger to attach before signing in.</summary>
        [Parameter(DontShow = true, HelpMessage = "Wait for .NET debugger to attach")]
        public SwitchParameter Break { get; set; }

        /// <summary>The app's client secret; the user name is the client id.</summary>
        [Parameter(ParameterSetName = SecretSet, Mandatory = true)]
        [Alias("SecretCredential", "Credential")]
        public PSCredential ClientSecretCredential { get; set; } = null!;

        [Parameter(ParameterSetName = UserSet)]
        [Alias("UseDeviceAuthentication", "DeviceCode", "DeviceAuth", "Device")]
        public SwitchParameter UseDeviceCode { get; set; }

        /// <summary>The account the browser sign-in proposes.</summary>
        [Parameter(ParameterSetName = UserSet)]
        public string? LoginHint { get; set; }

        [Parameter(ParameterSetName = IdentitySet, Mandatory = true)]
        [Alias("ManagedIdentity", "ManagedServiceIdentity", "MSI")]
        public SwitchParameter Identity { get; set; }

        [Parameter(ParameterSetName = EnvironmentVariableSet, Mandatory = true)]
        public SwitchParameter EnvironmentVariable { get; set; }

        /// <summary>A bearer token for Graph; it is never refreshed, and its expiry is read from the token.</summary>
        [Parameter(ParameterSetName = AccessTokenSet, Mandatory = true, Position = 1)]
        public SecureString AccessToken { get; set; } = null!;

        /// <summary>
        /// Process: the sign-in lasts as long as this session. CurrentUser: the user's next sessions reuse it (the token
        /// cache). Delegated sign-in defaults to CurrentUser, every other to Process, as in the official module.
        /// </summary>
        [Parameter(ParameterSetName = UserSet)]
        [Parameter(ParameterSetName = CertificateSet)]
        [Parameter(ParameterSetName = SecretSet)]
        [Parameter(ParameterSetName = IdentitySet)]
        [Parameter(ParameterSetName = EnvironmentVariableSet)]
        public Microsoft.Graph.PowerShell.Authentication.ContextScope ContextScope { get; set; }

        /// <summary>Seconds one request may take (the session's ClientTimeout, as Set-MgRequestContext sets it).</summary>
        [Parameter]
        public double ClientTimeout { get; set; }

        /// <summary>The cloud to connect to (Global when omitted), as Get-MgEnvironment lists them.</summary>
        [Parameter]
        [Alias("EnvironmentName", "NationalCloud")]
        [ValidateNotNullOrEmpty]
        public string? Environment { get; set; }

        /// <summary>Suppresses the welcome message.</summary>
        [Parameter]
        public SwitchParameter NoWelcome { get; set; }

        protected override void StopProcessing() => stopping.Cancel();

        protected override void ProcessRecord()
        {
            if (Break.IsPresent)
            {
                GeneratedCmdlet.WaitForDebugger(() => stopping.IsCancellationRequested);
            }

            var head = new Dictionary<string, object?>();
            if (Environment is not null)
            {
                head["environment"] = Environment;
            }

            head["proxy"] = ProxySettings();
            head["hostVersion"] = Host.Version.ToString();
            if (MyInvocation.BoundParameters.ContainsKey(nameof(ContextScope)))
            {
                head["contextScope"] = ContextScope.ToString();
            }

            if (MyInvocation.BoundParameters.ContainsKey(nameof(ClientTimeout)))
            {
                SetClientTimeout();
            }

            var secrets = new List<SecretField>();
            byte[]? key = null;
            List<char[]>? envChars = null;
            JsonElement context;
            try
            {
                switch (ParameterSetName)
                {
                    case AccessTokenSet:
                        head["accessToken"] = SecretField.Reference(secrets, new SecretField(AccessToken, null));
                        break;
                    case SecretSet:
                        if (string.IsNullOrWhiteSpace(ClientSecretCredential.UserName))
                        {
                            ThrowTerminatingError(new ErrorRecord(
                                new ArgumentException("The user name of -ClientSecretCredential must be the application's client id; it is empty."),
                                "ClientSecretCredentialWithoutClientId", ErrorCategory.InvalidArgument, null));
                        }

                        head["clientId"] = ClientSecretCredential.UserName;
                        head["tenantId"] = TenantId;
                        head["clientSecret"] = SecretField.Reference(secrets, new SecretField(ClientSecretCredential.Password, null));
                        break;
                    case CertificateSet:
                        head["clientId"] = ClientId;
                        head["tenantId"] = TenantId;
                        head["certificateThumbprint"] = CertificateThumbprint;
                        head["certificateSubjectName"] = CertificateName;
                        head["sendCertificateChain"] = SendCertificateChain;
                        key = CertificateDocument(head, secrets);
                        break;
                    case IdentitySet:
                        head["identity"] = true;
                        if (!string.IsNullOrWhiteSpace(ClientId))
                        {
                            head["clientId"] = ClientId;
                        }

                        break;
                    case EnvironmentVariableSet:
                        head["environmentVariable"] = true;
                        key = EnvironmentCertificate(head);
                        break;
                    default:
                        head["flow"] = UseDeviceCode.IsPresent ? "deviceCode" : "interactive";
                        if (Scopes is { Length: > 0 })
                        {
                            head["scopes"] = Scopes;
                        }

                        if (!string.IsNullOrWhiteSpace(ClientId))
                        {
                            head["clientId"] = ClientId;
                        }

                        if (!string.IsNullOrWhiteSpace(TenantId))
                        {
                            head["tenantId"] = TenantId;
                        }

                        if (!string.IsNullOrWhiteSpace(LoginHint))
                        {
                            head["loginHint"] = LoginHint;
                        }

                        break;
                }

                if (key is not null)
                {
                    // The key's DER goes as its own buffer (docs/abi.md, "Secrets"), beside the certificate it belongs to.
                    ((Dictionary<string, object?>)head["certificate"]!)["privateKey"] = SecretField.Reference(secrets, new SecretField(null, null, key));
                }

                if (ParameterSetName is IdentitySet || (ParameterSetName == EnvironmentVariableSet && key is null))
                {
                    envChars = EnvironmentVariables(head, secrets);
                }

                context = Engine.SignIn(Json.ToUtf8(head), secrets, OnEvent, stopping.Token);
            }
            catch (EngineException e)
            {
                ReportSignInError(e);
                return;
            }
            catch (CertificateNotUsableException e)
            {
                // A sign-in that fails before the engine is asked ends the connection there was, as every failed sign-in does.
                EndPreviousConnection();
                WriteSignInError(e);
                return;
            }
            catch (NoBrowserException e)
            {
                EndPreviousConnection();
                WriteSignInError(new InvalidOperationException(e.Message));
                return;
            }
            finally
            {
                if (key is not null)
                {
                    Array.Clear(key, 0, key.Length);
                }

                foreach (char[] c in envChars ?? new List<char[]>())
                {
                    Array.Clear(c, 0, c.Length);
                }
            }

            if (!NoWelcome.IsPresent)
            {
                // Output, as the official module writes it: `$null = Connect-MgGraph` and `| Out-Null` hide it.
                string authType = (Json.Text(context, "authType") ?? "userprovidedaccesstoken").ToLowerInvariant();
                string clientId = Json.Text(context, "clientId") ?? string.Empty;
                WriteObject(
                    "Welcome to Microsoft Graph!\n\n"
                    + $"Connected via {authType} access using {clientId}\n"
                    + "Readme: https://aka.ms/graph/sdk/powershell\n"
                    + "SDK Docs: https://aka.ms/graph/sdk/powershell/docs\n"
                    + "API Docs: https://aka.ms/graph/docs\n\n"
                    + "NOTE: You can use the -NoWelcome parameter to suppress this message.\n");
            }
        }

        /// <summary>
        /// An unknown -Environment stops the cmdlet with a PSInvalidOperationException, as the official cmdlet throws it before
        /// signing in (so the connection there was stays). Anything else the sign-in meets (the token refused, an endpoint
        /// unreachable, a token or variable it cannot use) is written as the official ConnectMgGraph.cs writes whatever fails
        /// there: a non-terminating error with no error id, category NotSpecified and no target, so `-ErrorAction
        /// SilentlyContinue` hides it, `$?` is false and try/catch needs -ErrorAction Stop. The parameter checks made before
        /// the engine is asked stop the cmdlet, as the official ones in BeginProcessing do.
        /// </summary>
        private void ReportSignInError(EngineException e)
        {
            if (e.Kind == "unknownEnvironment")
            {
                ThrowTerminatingError(new ErrorRecord(new PSInvalidOperationException(e.Message, e), "InvalidOperation", ErrorCategory.InvalidOperation, null));
            }

            ErrorRecord? record = EngineErrors.ToErrorRecord(e, null, out _);
            if (record is not null)
            {
                WriteSignInError(record.Exception);
            }
        }

        private void WriteSignInError(Exception e) => WriteError(new ErrorRecord(e, string.Empty, ErrorCategory.NotSpecified, null));

        /// <summary>-ClientTimeout: the session's request timeout, in whole seconds (a fraction counts as a second).</summary>
        private void SetClientTimeout()
        {
            if (double.IsNaN(ClientTimeout) || ClientTimeout <= 0 || ClientTimeout > int.MaxValue)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-ClientTimeout must be a number of seconds greater than 0; {ClientTimeout} is not."),
                    "InvalidClientTimeout", ErrorCategory.InvalidArgument, ClientTimeout));
            }

            try
            {
                Engine.SetRequestContext(Json.ToText(new Dictionary<string, object?> { ["clientTimeoutSeconds"] = (long)Math.Ceiling(ClientTimeout) }));
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, ClientTimeout);
            }
        }

        /// <summary>
        /// A sign-in that fails before the engine is asked (a certificate that cannot be used) ends the connection there
        /// was, as every failed sign-in does (the engine does it for the others).
        /// </summary>
        private void EndPreviousConnection()
        {
            try
            {
                Engine.Disconnect();
            }
            catch (EngineException)
            {
                // Nothing was connected.
            }
        }

        /// <summary>
        /// -EnvironmentVariable with AZURE_CLIENT_CERTIFICATE_PATH naming a PFX file: the module opens it with
        /// AZURE_CLIENT_CERTIFICATE_PASSWORD, as for -CertificatePath, and hands the engine the certificate with the plain
        /// variables. Null when the engine reads the variables itself: a secret, or a PEM file (whose encrypted key the
        /// engine opens with AZURE_CLIENT_CERTIFICATE_PASSWORD, handed over as a secret buffer).
        /// </summary>
        private byte[]? EnvironmentCertificate(Dictionary<string, object?> head)
        {
            string? path = System.Environment.GetEnvironmentVariable("AZURE_CLIENT_CERTIFICATE_PATH");
            string? password = System.Environment.GetEnvironmentVariable("AZURE_CLIENT_CERTIFICATE_PASSWORD");
            if (!string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("AZURE_CLIENT_SECRET")) || string.IsNullOrWhiteSpace(path)
                || LooksLikePem(path.Trim()))
            {
                return null;
            }

            var values = new Dictionary<string, string>();
            foreach (string name in new[] { "AZURE_TENANT_ID", "AZURE_CLIENT_ID" })
            {
                string? value = System.Environment.GetEnvironmentVariable(name);
                if (!string.IsNullOrEmpty(value))
                {
                    values[name] = value;
                }
            }

            head["environmentVariables"] = values;
            using SecureString? secure = password is null ? null : Secure(password);
            return LoadCertificate(head, path.Trim(), secure, "AZURE_CLIENT_CERTIFICATE_PATH");
        }

        private static SecureString Secure(string value)
        {
            var secure = new SecureString();
            foreach (char c in value)
            {
                secure.AppendChar(c);
            }

            secure.MakeReadOnly();
            return secure;
        }

        /// <summary>Opens a certificate file with the platform's support and fills head["certificate"]; the key as DER.</summary>
        private byte[]? LoadCertificate(Dictionary<string, object?> head, string path, SecureString? password, string origin)
        {
            try
            {
                using X509Certificate2 certificate = CertificateStore.Load(path, password);
                head["certificate"] = new Dictionary<string, object?> { ["certificate"] = Convert.ToBase64String(certificate.RawData) };
                return CertificateStore.PrivateKeyDer(certificate);
            }
            catch (CertificateNotUsableException e)
            {
                throw new CertificateNotUsableException($"{origin}: {e.Message}", e);
            }
        }

        /// <summary>
        /// Fills head["certificate"] and returns the private key as PKCS#1 DER; null for a PEM file, which the engine reads
        /// by path and whose encrypted key it opens with -CertificatePassword, handed over as a secret buffer.
        /// </summary>
        private byte[]? CertificateDocument(Dictionary<string, object?> head, List<SecretField> secrets)
        {
            if (CertificatePassword is not null && CertificatePath is null)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException("-CertificatePassword opens the file given with -CertificatePath; without -CertificatePath it has nothing to open."),
                    "CertificatePasswordWithoutPath", ErrorCategory.InvalidArgument, null));
            }

            int given = (CertificateName is null ? 0 : 1) + (CertificateThumbprint is null ? 0 : 1) + (Certificate is null ? 0 : 1) + (CertificatePath is null ? 0 : 1);
            if (given != 1)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException("Give exactly one of -CertificateThumbprint, -CertificateName, -Certificate or -CertificatePath."),
                    "CertificateParameters", ErrorCategory.InvalidArgument, null));
            }

            // The official cmdlet's parameter checks (ConnectMgGraph.cs ValidateParameters, in its words), made before
            // anything changes: a SHA-1 thumbprint has 40 hex digits (spaces, as the certificate dialog shows them, aside),
            // and an app signs in to a tenant.
            if (CertificateThumbprint is not null && CertificateThumbprint.Replace(" ", string.Empty).Length != 40)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException("'CertificateThumbprint' must have a length of 40. Ensure you have the right certificate thumbprint then try again."),
                    "InvalidCertificateThumbprint", ErrorCategory.InvalidArgument, null));
            }

            if (string.IsNullOrWhiteSpace(TenantId))
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException("Must specify 'TenantId'."), "TenantIdMissing", ErrorCategory.InvalidArgument, null));
            }

            X509Certificate2? certificate = Certificate;
            bool owned = false;
            try
            {
                if (CertificatePath is not null)
                {
                    string path = GetUnresolvedProviderPathFromPSPath(CertificatePath);
                    if (LooksLikePem(path))
                    {
                        var pem = new Dictionary<string, object?> { ["path"] = path };
                        if (CertificatePassword is not null)
                        {
                            pem["password"] = SecretField.Reference(secrets, new SecretField(CertificatePassword, null));
                        }

                        head["certificate"] = pem;
                        return null;
                    }

                    certificate = CertificateStore.Load(path, CertificatePassword);
                    owned = true;
                }
                else if (certificate is null)
                {
                    certificate = CertificateStore.Find(CertificateThumbprint, CertificateName);
                    owned = true;
                }

                head["certificate"] = new Dictionary<string, object?> { ["certificate"] = Convert.ToBase64String(certificate.RawData) };
                return CertificateStore.PrivateKeyDer(certificate);
            }
            finally
            {
                if (owned)
                {
                    certificate?.Dispose();
                }
            }
        }

        /// <summary>
        /// Hands the engine the sign-in variables as PowerShell sees them ($env: is not the native environment on
        /// Linux and macOS), so an override such as MGLICENSE_IMDS_ENDPOINT always reaches it. Secret ones are
        /// handed over as secret buffers, named in the object by reference (docs/abi.md, "Secrets").
        /// </summary>
        private static List<char[]> EnvironmentVariables(Dictionary<string, object?> head, List<SecretField> secrets)
        {
            string[] plain = { "MGLICENSE_IMDS_ENDPOINT", "IDENTITY_ENDPOINT", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH" };
            string[] secret = { "IDENTITY_HEADER", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD" };
            var values = new Dictionary<string, object?>();
            foreach (string name in plain)
            {
                string? value = System.Environment.GetEnvironmentVariable(name);
                if (!string.IsNullOrEmpty(value))
                {
                    values[name] = value;
                }
            }

            head["environmentVariables"] = values;
            var buffers = new List<char[]>();
            foreach (string name in secret)
            {
                string? value = System.Environment.GetEnvironmentVariable(name);
                if (!string.IsNullOrEmpty(value))
                {
                    char[] chars = value.ToCharArray();
                    buffers.Add(chars);
                    values[name] = SecretField.Reference(secrets, new SecretField(null, chars));
                }
            }

            return buffers;
        }

        /// <summary>
        /// HTTPS_PROXY and NO_PROXY (or their lower-case spellings) as PowerShell sees them. On Linux and macOS a change
        /// to $env: stays inside .NET and never reaches the native environment, so the engine is told rather than left to
        /// read its own. An empty object means no proxy.
        /// </summary>
        private static Dictionary<string, string> ProxySettings()
        {
            var proxy = new Dictionary<string, string>();
            foreach ((string member, string upper, string lower) in new[] { ("httpsProxy", "HTTPS_PROXY", "https_proxy"), ("noProxy", "NO_PROXY", "no_proxy") })
            {
                string? value = System.Environment.GetEnvironmentVariable(upper);
                if (string.IsNullOrWhiteSpace(value))
                {
                    value = System.Environment.GetEnvironmentVariable(lower);
                }

                if (!string.IsNullOrWhiteSpace(value))
                {
                    proxy[member] = value.Trim();
                }
            }

            return proxy;
        }

        /// <summary>
        /// A PEM file goes to the engine by path, whatever its key: the engine reads it, opens an encrypted PKCS#8 key with
        /// the password, and names what it cannot open. Anything else (a PFX file) is opened here.
        /// </summary>
        private static bool LooksLikePem(string path)
        {
            try
            {
                string text = File.ReadAllText(path);
                return text.IndexOf("-----BEGIN ", StringComparison.Ordinal) >= 0;
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        }

        private void OnEvent(JsonElement e)
        {
            switch (Json.Text(e, "kind"))
            {
                case "openBrowser":
                    string url = Json.Text(e, "url") ?? string.Empty;
                    if (!BrowserLauncher.TryOpen(url, out string? why))
                    {
                        // Ends the sign-in (the engine's is cancelled as the exception leaves Engine.SignIn); reported as a failed one.
                        stopping.Cancel();
                        throw new NoBrowserException($"No browser could be opened on this machine ({why}). Use Connect-MgGraph -UseDeviceCode to sign in from another device.");
                    }

                    break;
                default:
                    string message = Json.Text(e, "message") ?? string.Empty;
                    if (Json.Text(e, "level") == "verbose")
                    {
                        WriteVerbose(message);
                    }
                    else if (Json.Text(e, "level") == "output")
                    {
                        // The device-code prompt, which the official module writes as output.
                        WriteObject(message);
                    }
                    else
                    {
                        WriteWarning(message);
                    }

                    break;
            }
        }
    }

    /// <summary>The interactive sign-in could not open a browser.</summary>
    internal sealed class NoBrowserException : Exception
    {
        internal NoBrowserException(string message)
            : base(message)
        {
        }
    }

    /// <summary>
    /// Ends the process's connection. Like the official 2.x cmdlet it writes the context it ended, and it writes a
    /// non-terminating error when there was no connection to end.
    /// </summary>
    [Cmdlet(VerbsCommunications.Disconnect, "MgGraph")]
    [Alias("Disconnect-Graph")]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.AuthContext")]
    public sealed class DisconnectMgGraph : MgLicenseCmdlet
    {
        /// <summary>
        /// Accepted as in the official module, where it also signs out of the Windows broker (WAM). MgLicense never signs in
        /// through the broker, so there is nothing more to sign out of: the connection and the cached sign-ins end either way.
        /// </summary>
        [Parameter]
        public SwitchParameter SignOutFromBroker { get; set; }

        protected override void ProcessRecord()
        {
            JsonElement context;
            try
            {
                context = Engine.Disconnect();
            }
            catch (EngineException e) when (e.Kind == "notConnected")
            {
                WriteNoConnection();
                return;
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, null);
                return;
            }

            if (context.ValueKind == JsonValueKind.Object)
            {
                WriteObject(AuthContextObject.From(context));
            }
            else
            {
                WriteNoConnection();
            }
        }

        // As the official DisconnectMgGraph.cs writes it: an ArgumentException with no error id, category CloseError, no target.
        private void WriteNoConnection() =>
            WriteError(new ErrorRecord(new ArgumentException("No application to sign out from."),
                string.Empty, ErrorCategory.CloseError, null));
    }

    /// <summary>The process's connection, or nothing when not connected.</summary>
    [Cmdlet(VerbsCommon.Get, "MgContext")]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.AuthContext")]
    public sealed class GetMgContext : MgLicenseCmdlet
    {
        protected override void ProcessRecord()
        {
            JsonElement context;
            try
            {
                context = Engine.Context();
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, null);
                return;
            }

            if (context.ValueKind == JsonValueKind.Object)
            {
                WriteObject(AuthContextObject.From(context));
            }
        }
    }
}
