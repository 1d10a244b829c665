// Reading the emulator's request log the way the tests need it: headers by name, and the four calls' paths.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace MgLicense.Tests
{
    internal static class Sent
    {
        /// <summary>The four reprocess cmdlets and the path each one posts to for a user.</summary>
        internal static readonly IReadOnlyDictionary<string, string> PathFormats = new Dictionary<string, string>
        {
            ["Invoke-MgLicenseUser"] = "/v1.0/users/{0}/reprocessLicenseAssignment",
            ["Invoke-MgBetaLicenseUser"] = "/beta/users/{0}/reprocessLicenseAssignment",
            ["Invoke-MgBetaReprocessUserCloudLicensingAssignment"] = "/beta/users/{0}/cloudLicensing/assignments/reprocessAssignments",
            ["Invoke-MgBetaLicenseUser2"] = "/beta/users/{0}/reprocessLicenseAssignment2",
        };

        internal static string PathFor(string cmdlet, string userId) => string.Format(PathFormats[cmdlet], userId);

        /// <summary>The class name in FullyQualifiedErrorId: Invoke-MgLicenseUser → MgLicense.Commands.InvokeMgLicenseUser.</summary>
        internal static string ClassOf(string cmdlet) => "MgLicense.Commands." + cmdlet.Replace("-", string.Empty);

        internal static string[] Paths(IEnumerable<JsonElement> requests) =>
            requests.Select(r => r.GetProperty("path").GetString()!).ToArray();

        /// <summary>
        /// Paths sorted: pipeline input is sent concurrently, so calls may reach the service in any order; what matters is
        /// that each input was sent exactly once (output order is checked separately).
        /// </summary>
        internal static string[] SortedPaths(IEnumerable<string> paths) => paths.OrderBy(p => p, StringComparer.Ordinal).ToArray();

        internal static string? Header(JsonElement request, string name)
        {
            foreach (JsonProperty header in request.GetProperty("headers").EnumerateObject())
            {
                if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return header.Value.ValueKind == JsonValueKind.Array ? header.Value[0].GetString() : header.Value.GetString();
                }
            }

            return null;
        }

        internal static IEnumerable<string> HeaderNames(JsonElement request) =>
            request.GetProperty("headers").EnumerateObject().Select(h => h.Name.ToLowerInvariant());
    }
}
