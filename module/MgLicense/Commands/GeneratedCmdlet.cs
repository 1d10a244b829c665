// The parameters every generated cmdlet of the Microsoft Graph PowerShell SDK has besides its operation's own (-Break, -HttpPipelineAppend, -HttpPipelinePrepend, -Proxy, -ProxyCredential, -ProxyUseDefaultCredentials), so scripts that pass them bind, and what MgLicense does with each.
using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using MgLicense.Native;
using Debugger = System.Diagnostics.Debugger;

namespace MgLicense.Commands
{
    /// <summary>
    /// Base of the cmdlets that stand in for the SDK's generated ones (the reads, the reprocess and the write cmdlets). As in
    /// the SDK (AutoRest's class.ts), these parameters are DontShow: they bind, but tab completion does not offer them.
    /// </summary>
    public abstract class GeneratedCmdlet : MgLicenseCmdlet
    {
        /// <summary>The address of -Proxy with -ProxyCredential's user name and password, as the engine takes it; null without -Proxy.</summary>
        private string? callProxy;

        /// <summary>Set by Ctrl+C (StopProcessing, on another thread).</summary>
        private volatile bool stopRequested;

        /// <summary>Wait for .NET debugger to attach.</summary>
        [Parameter(DontShow = true, HelpMessage = "Wait for .NET debugger to attach")]
        public SwitchParameter Break { get; set; }

        /// <summary>
        /// SendAsync pipeline steps to be appended to the front of the pipeline. MgLicense sends its calls from its native
        /// engine, which has no .NET pipeline: a step given is refused before anything is sent.
        /// </summary>
        [Parameter(DontShow = true, HelpMessage = "SendAsync Pipeline Steps to be appended to the front of the pipeline")]
        public object[]? HttpPipelineAppend { get; set; }

        /// <summary>SendAsync pipeline steps to be prepended to the front of the pipeline; refused as -HttpPipelineAppend.</summary>
        [Parameter(DontShow = true, HelpMessage = "SendAsync Pipeline Steps to be prepended to the front of the pipeline")]
        public object[]? HttpPipelinePrepend { get; set; }

        /// <summary>The URI for the proxy server to use: this command's Graph calls go through it instead of the connection's proxy.</summary>
        [Parameter(DontShow = true, HelpMessage = "The URI for the proxy server to use")]
        [ProxyAddress]
        public Uri? Proxy { get; set; }

        /// <summary>Credentials for the proxy server of -Proxy (Basic authentication).</summary>
        [Parameter(DontShow = true, HelpMessage = "Credentials for a proxy server to use for the remote call")]
        [Credential]
        public PSCredential? ProxyCredential { get; set; }

        /// <summary>Use the default credentials for the proxy: Windows authentication to a proxy is not supported (a warning says so).</summary>
        [Parameter(DontShow = true, HelpMessage = "Use the default credentials for the proxy")]
        public SwitchParameter ProxyUseDefaultCredentials { get; set; }

        /// <summary>
        /// What the SDK's generated cmdlets do first: refuse pipeline steps MgLicense cannot run, take the proxy of the call
        /// (-Proxy, -ProxyCredential), and, for -Break, wait for a debugger. Nothing has been sent yet.
        /// </summary>
        protected override void BeginProcessing()
        {
            foreach ((string name, object[]? steps) in new[] { (nameof(HttpPipelineAppend), HttpPipelineAppend), (nameof(HttpPipelinePrepend), HttpPipelinePrepend) })
            {
                if (steps is not null && Array.Exists(steps, step => step is not null))
                {
                    ThrowTerminatingError(new ErrorRecord(
                        new PSNotSupportedException(
                            $"-{name} cannot be used with MgLicense: its calls are sent by its native engine, which has no .NET HTTP pipeline to run a SendAsync step in. "
                            + "Nothing was sent. Use -Headers to add request headers, and -Debug to see each request and response."),
                        "HttpPipelineNotSupported", ErrorCategory.NotImplemented, name));
                }
            }

            callProxy = CallProxy();
            if (Break.IsPresent)
            {
                WaitForDebugger(() => stopRequested);
            }
        }

        /// <summary>
        /// -Proxy with -ProxyCredential as one address, http://user:password@host:port, checked before anything is sent; null
        /// without -Proxy. What the engine cannot honour is said in a warning rather than silently dropped.
        /// </summary>
        private string? CallProxy()
        {
            if (ProxyUseDefaultCredentials.IsPresent)
            {
                WriteWarning(
                    "-ProxyUseDefaultCredentials is not supported: MgLicense cannot answer a proxy's Windows authentication (Negotiate, NTLM), "
                    + "so no credentials are sent to the proxy for it. Give -ProxyCredential for a proxy that takes a user name and password.");
            }

            if (Proxy is null)
            {
                if (ProxyCredential is not null)
                {
                    WriteWarning(
                        "-ProxyCredential is used only with -Proxy; without it the calls go through the proxy the connection was made with "
                        + "(HTTPS_PROXY and NO_PROXY, or on Windows the current user's proxy setting, when Connect-MgGraph ran).");
                }

                return null;
            }

            // A proxy is a host and a port: a path, query or fragment would be dropped unseen (an address such as
            // http://proxy:8080/proxy.pac names a PAC script, not a proxy), so it is refused rather than guessed at.
            if (!Proxy.IsAbsoluteUri || (Proxy.Scheme != Uri.UriSchemeHttp && Proxy.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(Proxy.Host)
                || Proxy.AbsolutePath != "/" || Proxy.Query.Length > 0 || Proxy.Fragment.Length > 0)
            {
                // The value is not repeated: it may hold a password.
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException(InvalidProxyMessage),
                    "InvalidProxy", ErrorCategory.InvalidArgument, null));
            }

            string userInfo = ProxyCredential is null
                ? Proxy.UserInfo
                : Uri.EscapeDataString(ProxyCredential.UserName) + ":" + Uri.EscapeDataString(ProxyCredential.GetNetworkCredential().Password ?? string.Empty);
            return Proxy.Scheme + "://" + (userInfo.Length > 0 ? userInfo + "@" : string.Empty) + Proxy.Authority;
        }

        /// <summary>The refusal of a -Proxy that is not a proxy server's address; the value is not repeated: it may hold a password.</summary>
        internal const string InvalidProxyMessage =
            "-Proxy must be the http:// or https:// address of a proxy server, such as http://proxy.contoso.com:3128, with no path, query or fragment (a PAC script's address is not a proxy's). Nothing was sent.";

        /// <summary>The call's own proxy in a request or read document (docs/abi.md, "proxy"), when -Proxy was given.</summary>
        internal void WriteCallProxy(JsonWriter json)
        {
            if (callProxy is null)
            {
                return;
            }

            json.WriteStartObject("proxy");
            json.WriteString("httpsProxy", callProxy);
            json.WriteEndObject();
        }

        /// <summary>
        /// As the SDK's -Break (AttachDebugger.Break): says on the standard error which process to attach to, waits until a debugger
        /// is attached, then breaks into it. Ctrl+C (<paramref name="stopRequested"/>) ends the wait and the command. Also
        /// Invoke-MgGraphRequest's -Break.
        /// </summary>
        internal static void WaitForDebugger(Func<bool> stopRequested)
        {
            int process = Process.GetCurrentProcess().Id;
            while (!Debugger.IsAttached)
            {
                Console.Error.WriteLine($"Waiting for debugger to attach to process {process}");
                for (int i = 0; i < 50 && !Debugger.IsAttached; i++)
                {
                    Thread.Sleep(100);
                    if (stopRequested())
                    {
                        throw new PipelineStoppedException();
                    }

                    Console.Error.Write(".");
                }

                Console.Error.WriteLine();
            }

            Debugger.Break();
        }

        // Runs on another thread; derived classes that stop work of their own call it too.
        protected override void StopProcessing()
        {
            stopRequested = true;
        }
    }

    /// <summary>
    /// -Proxy's conversion to a Uri, as PowerShell's own, except that a value that is no address is refused without being
    /// repeated: PowerShell's error ("Cannot convert value "http://user:password@…" to type System.Uri") would show its password.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property)]
    internal sealed class ProxyAddressAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            if (value is null || value is Uri)
            {
                return value;
            }

            try
            {
                return LanguagePrimitives.ConvertTo(value, typeof(Uri), System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (PSInvalidCastException)
            {
                throw new ArgumentTransformationMetadataException(GeneratedCmdlet.InvalidProxyMessage);
            }
        }
    }
}
