// Graph answers in camelCase JSON while PowerShell users expect the official models' PascalCase properties: users are typed models (User.cs, read by GraphModel.cs); groups, SKUs, directory objects and nested values of no declared type are bridged here.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Native;

namespace MgLicense.Models
{
    internal static class GraphObject
    {
        internal const string AdditionalPropertiesName = "AdditionalProperties";

        internal static readonly string[] UserTypeNames =
        {
            "Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser",
            "MgLicense.User",
        };

        /// <summary>Users from the beta cmdlets: the beta SDK's model name, and the same MgLicense view.</summary>
        internal static readonly string[] BetaUserTypeNames =
        {
            "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser",
            "MgLicense.User",
        };

        internal static readonly string[] GroupTypeNames =
        {
            "Microsoft.Graph.PowerShell.Models.MicrosoftGraphGroup",
            "MgLicense.Group",
        };

        internal static readonly string[] DirectoryObjectTypeNames =
        {
            "Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject",
            "MgLicense.DirectoryObject",
        };

        internal static readonly string[] SubscribedSkuTypeNames =
        {
            "Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku",
            "MgLicense.SubscribedSku",
        };

        internal static readonly string[] ContextTypeNames =
        {
            "Microsoft.Graph.PowerShell.Authentication.AuthContext",
            "MgLicense.Context",
        };

        internal static readonly string[] EnvironmentTypeNames =
        {
            "Microsoft.Graph.PowerShell.Authentication.GraphEnvironment",
            "MgLicense.Environment",
        };

        /// <summary>
        /// Converts a JSON object to a PSObject: property names get their first letter upper-cased, annotations
        /// (<c>@odata.*</c> and other keys with an '@') go to an AdditionalProperties dictionary as the official
        /// models keep them, and nested values are converted the same way.
        /// </summary>
        internal static PSObject ToPSObject(JsonElement element, IReadOnlyList<string> typeNames)
        {
            PSObject result = ToPSObject(element, graphModel: true);
            for (int i = 0; i < typeNames.Count; i++)
            {
                result.TypeNames.Insert(i, typeNames[i]);
            }

            return result;
        }

        /// <summary>
        /// A directory object as the official model has it: Id and DeletedDateTime, everything else (camelCase, as Graph sent
        /// it) in AdditionalProperties, where scripts written for the official cmdlet look. As our extension the other
        /// properties are also there under their PascalCase names, so $_.UserPrincipalName works too.
        /// </summary>
        internal static PSObject ToDirectoryObject(JsonElement element, IReadOnlyList<string> typeNames)
        {
            PSObject result = ToPSObject(element, typeNames);
            var additional = (Dictionary<string, object?>)result.Properties[AdditionalPropertiesName].Value;
            foreach (JsonProperty property in element.EnumerateObject())
            {
                string name = Json.Name(property);
                if (name != "id" && name != "deletedDateTime" && !additional.ContainsKey(name))
                {
                    additional[name] = ToValue(property.Value, graphModel: true);
                }
            }

            if (result.Properties["DeletedDateTime"] is null)
            {
                result.Properties.Add(new PSNoteProperty("DeletedDateTime", null));
            }

            return result;
        }

        /// <summary>The engine's own documents (context, environment) as PSObjects: PascalCase, no Graph annotations to keep.</summary>
        internal static PSObject ToPlainPSObject(JsonElement element, IReadOnlyList<string> typeNames)
        {
            PSObject result = ToPSObject(element, graphModel: false);
            for (int i = 0; i < typeNames.Count; i++)
            {
                result.TypeNames.Insert(i, typeNames[i]);
            }

            return result;
        }

        private static PSObject ToPSObject(JsonElement element, bool graphModel)
        {
            var result = new PSObject();
            PSMemberInfoCollection<PSPropertyInfo> properties = result.Properties;
            // PowerShell's member names are case-insensitive; tracking them here spares a member lookup per property, which
            // walks the object's adapters and is most of the cost of a conversion.
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            Dictionary<string, object?>? additional = graphModel ? new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) : null;
            foreach (JsonProperty property in element.EnumerateObject())
            {
                object? value = ToValue(property.Value, graphModel);
                string key = Json.Name(property);
                string name = PascalCase(key);
                bool annotation = graphModel && (key.IndexOf('@') >= 0 || name == AdditionalPropertiesName);
                if (annotation || !names.Add(name))
                {
                    // Annotations, and a second key that differs only in case, go where the official models keep them.
                    if (additional is not null)
                    {
                        additional[key] = value;
                    }

                    continue;
                }

                properties.Add(new PSNoteProperty(name, value), preValidated: true);
            }

            if (additional is not null)
            {
                properties.Add(new PSNoteProperty(AdditionalPropertiesName, additional), preValidated: true);
            }

            return result;
        }

        /// <summary>A JSON value as the untyped models have it: objects as PSObjects, string arrays as string[].</summary>
        internal static object? ToValue(JsonElement element, bool graphModel = true)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    return ToPSObject(element, graphModel);
                case JsonValueKind.Array:
                    var items = new List<object?>();
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        items.Add(ToValue(item, graphModel));
                    }

                    // The official models type string collections as string[]; keep that where the JSON allows it.
                    return items.Count > 0 && items.TrueForAll(i => i is string) ? items.ConvertAll(i => (string)i!).ToArray() : items.ToArray();
                case JsonValueKind.String:
                    return Json.String(element);
                case JsonValueKind.Number:
                    if (element.TryGetInt32(out int small))
                    {
                        return small;
                    }

                    if (element.TryGetInt64(out long large))
                    {
                        return large;
                    }

                    return element.GetDouble();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }

        internal static string PascalCase(string name) =>
            name.Length == 0 || char.IsUpper(name[0]) ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
    }
}
