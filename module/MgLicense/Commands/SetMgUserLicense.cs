// Set-MgUserLicense: assignLicense with the official parameter sets; the licenses go to the engine as SKU and plan ids, and the engine checks them and builds the body.
using System;
using System.Collections;
using System.Management.Automation;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Add or remove licenses for the user to enable or disable their use of Microsoft cloud offerings that the company has licenses to.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "MgUserLicense", DefaultParameterSetName = AssignExpandedSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphUser")]
    public sealed class SetMgUserLicense : UserWriteCmdlet
    {
        private const string AssignExpandedSet = "AssignExpanded";
        private const string AssignSet = "Assign";
        private const string ViaIdentityExpandedSet = "AssignViaIdentityExpanded";
        private const string ViaIdentitySet = "AssignViaIdentity";

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = AssignExpandedSet, Mandatory = true)]
        [Parameter(ParameterSetName = AssignSet, Mandatory = true)]
        public string? UserId { get; set; }

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = ViaIdentityExpandedSet, Mandatory = true, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = ViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersActionsIdentity? InputObject { get; set; }

        /// <summary>The licenses to add: hashtables or objects with SkuId and, optionally, DisabledPlans (service plan ids).</summary>
        [Parameter(ParameterSetName = AssignExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        [AllowEmptyCollection]
        public object[]? AddLicenses { get; set; }

        /// <summary>The SKU ids of the licenses to remove.</summary>
        [Parameter(ParameterSetName = AssignExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        [AllowEmptyCollection]
        public string[]? RemoveLicenses { get; set; }

        /// <summary>Additional Parameters: more members of the request body, by Graph's names, sent as given.</summary>
        [Parameter(ParameterSetName = AssignExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public Hashtable? AdditionalProperties { get; set; }

        /// <summary>The request body: a hashtable or object with AddLicenses and RemoveLicenses.</summary>
        [Parameter(ParameterSetName = AssignSet, Mandatory = true, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = ViaIdentitySet, Mandatory = true)]
        public object? BodyParameter { get; set; }

        protected override string Operation => "assignLicense";

        protected override string CommandName => "Set-MgUserLicense";

        private bool ViaIdentity => ParameterSetName is ViaIdentityExpandedSet or ViaIdentitySet;

        protected override string? UserIdValue => ViaIdentity ? null : UserId;

        protected override IUsersActionsIdentity? IdentityValue => ViaIdentity ? InputObject : null;

        protected override object? Body => BodyParameter
            ?? GivenBody(name => name is nameof(AddLicenses) or nameof(RemoveLicenses) or nameof(AdditionalProperties));

        protected override void WriteFields(JsonWriter json)
        {
            WriteUserIdentity(json);
            bool body = ParameterSetName is AssignSet or ViaIdentitySet;
            object? add = body ? Member(BodyParameter, "addLicenses") : AddLicenses;
            object? remove = body ? Member(BodyParameter, "removeLicenses") : RemoveLicenses;
            string where = body ? "-BodyParameter.AddLicenses" : "-AddLicenses";

            json.WriteStartArray("addLicenses");
            int i = 0;
            foreach (object? license in Items(add))
            {
                json.WriteStartObject();
                json.WritePropertyName("skuId");
                WriteId(json, Member(license, "skuId"), $"{where}[{i}].SkuId");
                json.WriteStartArray("disabledPlans");
                int j = 0;
                foreach (object? plan in Items(Member(license, "disabledPlans")))
                {
                    WriteId(json, plan, $"{where}[{i}].DisabledPlans[{j++}]");
                }

                json.WriteEndArray();
                json.WriteEndObject();
                i++;
            }

            json.WriteEndArray();
            json.WriteStartArray("removeLicenses");
            int k = 0;
            foreach (object? sku in Items(remove))
            {
                WriteId(json, sku, $"{(body ? "-BodyParameter.RemoveLicenses" : "-RemoveLicenses")}[{k++}]");
            }

            json.WriteEndArray();
            if (!body && AdditionalProperties is not null)
            {
                json.WritePropertyName("properties");
                WriteValue(json, AdditionalProperties, "-AdditionalProperties");
            }
        }

        /// <summary>A single value or the items of a list (never a string's characters).</summary>
        private static IEnumerable Items(object? value)
        {
            value = value is PSObject ps ? ps.BaseObject : value;
            return value switch
            {
                null => Array.Empty<object>(),
                string or IDictionary => new[] { value },
                IEnumerable items => items,
                _ => new[] { value },
            };
        }

        /// <summary>A SKU or plan id as text for the engine, which checks it is a GUID: a string or a Guid; anything else is refused here.</summary>
        private static void WriteId(JsonWriter json, object? value, string where)
        {
            value = value is PSObject ps ? ps.BaseObject : value;
            switch (value)
            {
                case string text:
                    json.WriteStringValue(text);
                    break;
                case Guid id:
                    json.WriteStringValue(id.ToString());
                    break;
                case null:
                    throw new ArgumentException($"{where} is missing; give the id (a GUID) of the SKU or service plan.");
                default:
                    throw new ArgumentException($"{where} is a {value.GetType()}; give the id (a GUID) of the SKU or service plan.");
            }
        }

        protected override void WriteResult(JsonElement body)
        {
            if (body.ValueKind == JsonValueKind.Object)
            {
                WriteObject(User.Reader.ToPSObject(body, GraphObject.UserTypeNames));
            }
        }
    }
}
