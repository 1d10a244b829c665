// Update-MgUser: PATCH a user's properties (a usage location, say) with the official parameter sets; the engine builds the URL and sends the properties as the body.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Update the properties of a user object.</para>
    /// </summary>
    [Cmdlet(VerbsData.Update, "MgUser", DefaultParameterSetName = UpdateExpandedSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    public sealed class UpdateMgUser : UserWriteCmdlet
    {
        private const string UpdateExpandedSet = "UpdateExpanded";
        private const string UpdateSet = "Update";
        private const string ViaIdentityExpandedSet = "UpdateViaIdentityExpanded";
        private const string ViaIdentitySet = "UpdateViaIdentity";

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet, Mandatory = true)]
        [Parameter(ParameterSetName = UpdateSet, Mandatory = true)]
        public string? UserId { get; set; }

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = ViaIdentityExpandedSet, Mandatory = true, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = ViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersIdentity? InputObject { get; set; }

        /// <summary>The user's properties to change, by Graph's names (a hashtable or an object).</summary>
        [Parameter(ParameterSetName = UpdateSet, Mandatory = true, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = ViaIdentitySet, Mandatory = true)]
        public object? BodyParameter { get; set; }

        /// <summary>Additional Parameters: further properties by Graph's names.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public Hashtable? AdditionalProperties { get; set; }

        /// <summary>true if the account is enabled; otherwise, false.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public SwitchParameter AccountEnabled { get; set; }

        /// <summary>The age group of the user: null, Minor, NotAdult or Adult.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? AgeGroup { get; set; }

        /// <summary>The telephone numbers for the user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string[]? BusinessPhones { get; set; }

        /// <summary>The city where the user is located.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? City { get; set; }

        /// <summary>The name of the company the user is associated with.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? CompanyName { get; set; }

        /// <summary>Whether consent was obtained for minors: null, Granted, Denied or NotRequired.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? ConsentProvidedForMinor { get; set; }

        /// <summary>The country or region where the user is located.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? Country { get; set; }

        /// <summary>The name of the department in which the user works.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? Department { get; set; }

        /// <summary>The name displayed in the address book for the user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? DisplayName { get; set; }

        /// <summary>The employee identifier assigned to the user by the organization.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? EmployeeId { get; set; }

        /// <summary>The enterprise worker type, for example Employee or Contractor.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? EmployeeType { get; set; }

        /// <summary>The given name (first name) of the user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? GivenName { get; set; }

        /// <summary>The user's job title.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? JobTitle { get; set; }

        /// <summary>The SMTP address for the user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? Mail { get; set; }

        /// <summary>The mail alias for the user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? MailNickname { get; set; }

        /// <summary>The primary cellular telephone number for the user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? MobilePhone { get; set; }

        /// <summary>The office location in the user's place of business.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? OfficeLocation { get; set; }

        /// <summary>Additional email addresses for the user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string[]? OtherMails { get; set; }

        /// <summary>The postal code for the user's postal address.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? PostalCode { get; set; }

        /// <summary>The preferred data location for the user (multi-geo).</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? PreferredDataLocation { get; set; }

        /// <summary>The preferred language for the user, an ISO 639-1 code such as en-US.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? PreferredLanguage { get; set; }

        /// <summary>The proxy addresses of the user. Read-only in Graph: the service refuses them, as it does for the official cmdlet.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string[]? ProxyAddresses { get; set; }

        /// <summary>The state or province in the user's address.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? State { get; set; }

        /// <summary>The street address of the user's place of business.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? StreetAddress { get; set; }

        /// <summary>The user's surname (family name or last name).</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? Surname { get; set; }

        /// <summary>A two-letter country code (ISO 3166), required for users who are assigned licenses.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? UsageLocation { get; set; }

        /// <summary>The user principal name (UPN) of the user.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? UserPrincipalName { get; set; }

        /// <summary>A string value that can be used to classify user types in your directory: Member or Guest.</summary>
        [Parameter(ParameterSetName = UpdateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? UserType { get; set; }

        /// <summary>The parameters that are user properties: every parameter of the expanded sets but the identity and -AdditionalProperties.</summary>
        private static readonly HashSet<string> PropertyParameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "AccountEnabled", "AgeGroup", "BusinessPhones", "City", "CompanyName", "ConsentProvidedForMinor", "Country", "Department",
            "DisplayName", "EmployeeId", "EmployeeType", "GivenName", "JobTitle", "Mail", "MailNickname", "MobilePhone", "OfficeLocation",
            "OtherMails", "PostalCode", "PreferredDataLocation", "PreferredLanguage", "ProxyAddresses", "State", "StreetAddress", "Surname",
            "UsageLocation", "UserPrincipalName", "UserType",
        };

        protected override string Operation => "updateUser";

        protected override string CommandName => "Update-MgUser";

        private bool ViaIdentity => ParameterSetName is ViaIdentityExpandedSet or ViaIdentitySet;

        protected override string? UserIdValue => ViaIdentity ? null : UserId;

        protected override IUsersActionsIdentity? IdentityValue => ViaIdentity ? InputObject : null;

        protected override object? Body => BodyParameter ?? GivenBody(name => PropertyParameters.Contains(name) || name == nameof(AdditionalProperties));

        protected override void WriteFields(JsonWriter json)
        {
            WriteUserIdentity(json);
            json.WriteStartObject("properties");
            if (BodyParameter is not null)
            {
                WriteMembers(json, BodyParameter, "-BodyParameter");
            }

            if (AdditionalProperties is not null)
            {
                WriteMembers(json, AdditionalProperties, "-AdditionalProperties");
            }

            foreach (KeyValuePair<string, object> bound in MyInvocation.BoundParameters)
            {
                if (PropertyParameters.Contains(bound.Key))
                {
                    json.WritePropertyName(char.ToLowerInvariant(bound.Key[0]) + bound.Key.Substring(1));
                    WriteValue(json, bound.Value, "-" + bound.Key);
                }
            }

            json.WriteEndObject();
        }

        /// <summary>A hashtable's entries or an object's properties, each as a property of the user.</summary>
        private static void WriteMembers(JsonWriter json, object source, string where)
        {
            object plain = source is PSObject ps && ps.BaseObject is not PSCustomObject ? ps.BaseObject : source;
            if (plain is IDictionary map)
            {
                foreach (DictionaryEntry entry in map)
                {
                    string name = Key(entry.Key, where);
                    json.WritePropertyName(name);
                    WriteValue(json, entry.Value, $"{where}.{name}");
                }

                return;
            }

            if (plain is string || plain.GetType().IsPrimitive || plain is IEnumerable)
            {
                throw new ArgumentException($"{where} must be a hashtable or an object of the user's properties, not a {plain.GetType()}.");
            }

            // An object (a user read with Get-MgUser, a [pscustomobject]) gives its properties that have a value, by Graph's
            // camelCase names, as the official models serialize.
            foreach (PSPropertyInfo property in PSObject.AsPSObject(source).Properties)
            {
                object? value = property.Value;
                if (value is null || property.Name == GraphObject.AdditionalPropertiesName)
                {
                    continue;
                }

                json.WritePropertyName(char.ToLowerInvariant(property.Name[0]) + property.Name.Substring(1));
                WriteValue(json, value, $"{where}.{property.Name}");
            }
        }
    }
}
