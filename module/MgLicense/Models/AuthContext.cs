// The connection as Get-MgContext, Disconnect-MgGraph show it: the official AuthContext's properties, in its order, with its enum types.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Native;

namespace Microsoft.Graph.PowerShell.Authentication
{
    // The official module's enums (Microsoft.Graph.Authentication, IAuthContext.cs), with the same names and values, so
    // that scripts comparing with [Microsoft.Graph.PowerShell.Authentication.AuthenticationType]::ManagedIdentity run
    // unchanged. When the official module is loaded in the same session, its assembly defines the same names: see
    // docs/differences.md.

    /// <summary>How the connection signs in (Get-MgContext's AuthType).</summary>
    public enum AuthenticationType
    {
        Delegated,
        AppOnly,
        UserProvidedAccessToken,
        ManagedIdentity,
        EnvironmentVariable,
    }

    /// <summary>Where the connection's tokens are kept: this session only, or for the user's next sessions too.</summary>
    public enum ContextScope
    {
        Process,
        CurrentUser,
    }

    /// <summary>Which credential the connection's tokens come from (Get-MgContext's TokenCredentialType).</summary>
    public enum TokenCredentialType
    {
        InteractiveBrowser,
        DeviceCode,
        ClientCertificate,
        UserProvidedAccessToken,
        ManagedIdentity,
        ClientSecret,
        EnvironmentVariable,
    }
}

namespace MgLicense.Models
{
    using Microsoft.Graph.PowerShell.Authentication;

    internal static class AuthContextObject
    {
        /// <summary>
        /// The engine's context (docs/abi.md, "Context") as the official AuthContext lists its properties. Certificate and
        /// ClientSecret are there, and always null: MgLicense keeps neither a certificate object nor a secret after
        /// sign-in. ExpiresOn, the token's expiry, is MgLicense's addition.
        /// </summary>
        internal static PSObject From(JsonElement context)
        {
            var result = new PSObject();
            void Add(string name, object? value) => result.Properties.Add(new PSNoteProperty(name, value));

            Add("ClientId", Json.Text(context, "clientId"));
            Add("TenantId", Json.Text(context, "tenantId"));
            Add("Scopes", new List<string>(Json.Strings(context, "scopes")).ToArray());
            Add("AuthType", Parse(context, "authType", AuthenticationType.UserProvidedAccessToken));
            Add("TokenCredentialType", Parse(context, "tokenCredentialType", TokenCredentialType.UserProvidedAccessToken));
            Add("CertificateThumbprint", Json.Text(context, "certificateThumbprint"));
            Add("CertificateSubjectName", Json.Text(context, "certificateSubjectName"));
            Add("SendCertificateChain", context.ValueKind == JsonValueKind.Object && context.TryGetProperty("sendCertificateChain", out JsonElement chain)
                && chain.ValueKind == JsonValueKind.True);
            Add("Account", Json.Text(context, "account"));
            Add("AppName", Json.Text(context, "appName"));
            Add("ContextScope", Parse(context, "contextScope", ContextScope.Process));
            Add("Certificate", null);
            Add("PSHostVersion", Version.TryParse(Json.Text(context, "hostVersion") ?? string.Empty, out Version? version) ? version : null);
            Add("ManagedIdentityId", Json.Text(context, "managedIdentityId"));
            Add("ClientSecret", null);
            Add("Environment", Json.Text(context, "environment"));
            Add("ExpiresOn", Json.Text(context, "expiresOn"));
            for (int i = 0; i < GraphObject.ContextTypeNames.Length; i++)
            {
                result.TypeNames.Insert(i, GraphObject.ContextTypeNames[i]);
            }

            return result;
        }

        private static T Parse<T>(JsonElement context, string name, T fallback)
            where T : struct =>
            Enum.TryParse(Json.Text(context, name) ?? string.Empty, true, out T value) ? value : fallback;
    }
}
