// The complex types a user carries, licenses first, as typed models read straight from Graph's JSON.
using System;

namespace MgLicense.Models
{
    /// <summary>A license assigned to a user or a group.</summary>
    public sealed class AssignedLicense : GraphModel
    {
        internal static readonly ModelReader<AssignedLicense> Reader = new ModelReader<AssignedLicense>()
            .Strings("disabledPlans", (m, v) => m.DisabledPlans = v)
            .String("skuId", (m, v) => m.SkuId = v);

        /// <summary>The ids of the service plans that are disabled in the license.</summary>
        public string[]? DisabledPlans { get; set; }

        /// <summary>The id of the SKU, as in the SubscribedSku's SkuId.</summary>
        public string? SkuId { get; set; }
    }

    /// <summary>A service plan assigned to a user or an organization.</summary>
    public sealed class AssignedPlan : GraphModel
    {
        internal static readonly ModelReader<AssignedPlan> Reader = new ModelReader<AssignedPlan>()
            .DateTime("assignedDateTime", (m, v) => m.AssignedDateTime = v)
            .String("capabilityStatus", (m, v) => m.CapabilityStatus = v)
            .String("service", (m, v) => m.Service = v)
            .String("servicePlanId", (m, v) => m.ServicePlanId = v);

        /// <summary>When the plan was assigned.</summary>
        public DateTime? AssignedDateTime { get; set; }

        /// <summary>Enabled, Warning, Suspended, Deleted or LockedOut.</summary>
        public string? CapabilityStatus { get; set; }

        /// <summary>The name of the service, for example exchange.</summary>
        public string? Service { get; set; }

        /// <summary>The id of the service plan.</summary>
        public string? ServicePlanId { get; set; }
    }

    /// <summary>The state of one license assignment of a user: direct or inherited from a group, and its error if any.</summary>
    public sealed class LicenseAssignmentState : GraphModel
    {
        internal static readonly ModelReader<LicenseAssignmentState> Reader = new ModelReader<LicenseAssignmentState>()
            .String("assignedByGroup", (m, v) => m.AssignedByGroup = v)
            .Strings("disabledPlans", (m, v) => m.DisabledPlans = v)
            .String("error", (m, v) => m.Error = v)
            .DateTime("lastUpdatedDateTime", (m, v) => m.LastUpdatedDateTime = v)
            .String("skuId", (m, v) => m.SkuId = v)
            .String("state", (m, v) => m.State = v);

        /// <summary>The id of the group the license is inherited from; null for a direct assignment.</summary>
        public string? AssignedByGroup { get; set; }

        /// <summary>The ids of the service plans disabled in this assignment.</summary>
        public string[]? DisabledPlans { get; set; }

        /// <summary>The license assignment failure: CountViolation, MutuallyExclusiveViolation, DependencyViolation, ProhibitedInUsageLocationViolation, UniquenessViolation, Other or None.</summary>
        public string? Error { get; set; }

        /// <summary>When the state of the assignment last changed.</summary>
        public DateTime? LastUpdatedDateTime { get; set; }

        /// <summary>The id of the SKU.</summary>
        public string? SkuId { get; set; }

        /// <summary>Active, ActiveWithError, Disabled or Error.</summary>
        public string? State { get; set; }
    }

    /// <summary>A service plan provisioned for a user.</summary>
    public sealed class ProvisionedPlan : GraphModel
    {
        internal static readonly ModelReader<ProvisionedPlan> Reader = new ModelReader<ProvisionedPlan>()
            .String("capabilityStatus", (m, v) => m.CapabilityStatus = v)
            .String("provisioningStatus", (m, v) => m.ProvisioningStatus = v)
            .String("service", (m, v) => m.Service = v);

        /// <summary>For example Enabled.</summary>
        public string? CapabilityStatus { get; set; }

        /// <summary>For example Success.</summary>
        public string? ProvisioningStatus { get; set; }

        /// <summary>The name of the service, for example AccessControlS2S.</summary>
        public string? Service { get; set; }
    }

    /// <summary>Identifiers of the user in other authorization systems.</summary>
    public sealed class AuthorizationInfo : GraphModel
    {
        internal static readonly ModelReader<AuthorizationInfo> Reader = new ModelReader<AuthorizationInfo>()
            .Strings("certificateUserIds", (m, v) => m.CertificateUserIds = v);

        /// <summary>The certificate user ids of the user, for certificate-based authentication.</summary>
        public string[]? CertificateUserIds { get; set; }
    }

    /// <summary>The organization data of a user.</summary>
    public sealed class EmployeeOrgData : GraphModel
    {
        internal static readonly ModelReader<EmployeeOrgData> Reader = new ModelReader<EmployeeOrgData>()
            .String("costCenter", (m, v) => m.CostCenter = v)
            .String("division", (m, v) => m.Division = v);

        /// <summary>The cost center associated with the user.</summary>
        public string? CostCenter { get; set; }

        /// <summary>The name of the division in which the user works.</summary>
        public string? Division { get; set; }
    }

    /// <summary>An identity used to sign in to a user account.</summary>
    public sealed class ObjectIdentity : GraphModel
    {
        internal static readonly ModelReader<ObjectIdentity> Reader = new ModelReader<ObjectIdentity>()
            .String("issuer", (m, v) => m.Issuer = v)
            .String("issuerAssignedId", (m, v) => m.IssuerAssignedId = v)
            .String("signInType", (m, v) => m.SignInType = v);

        /// <summary>The issuer of the identity, for example facebook.com or the tenant's domain.</summary>
        public string? Issuer { get; set; }

        /// <summary>The unique identifier assigned to the user by the issuer.</summary>
        public string? IssuerAssignedId { get; set; }

        /// <summary>The type of sign-in: emailAddress, userName, federated, userPrincipalName, and so on.</summary>
        public string? SignInType { get; set; }
    }

    /// <summary>An error when provisioning an object from the on-premises directory.</summary>
    public sealed class OnPremisesProvisioningError : GraphModel
    {
        internal static readonly ModelReader<OnPremisesProvisioningError> Reader = new ModelReader<OnPremisesProvisioningError>()
            .String("category", (m, v) => m.Category = v)
            .DateTime("occurredDateTime", (m, v) => m.OccurredDateTime = v)
            .String("propertyCausingError", (m, v) => m.PropertyCausingError = v)
            .String("value", (m, v) => m.Value = v);

        /// <summary>The category of the error, for example PropertyConflict.</summary>
        public string? Category { get; set; }

        /// <summary>When the error occurred.</summary>
        public DateTime? OccurredDateTime { get; set; }

        /// <summary>The name of the property that caused the error.</summary>
        public string? PropertyCausingError { get; set; }

        /// <summary>The value of the property that caused the error.</summary>
        public string? Value { get; set; }
    }

    /// <summary>The password profile of a user.</summary>
    public sealed class PasswordProfile : GraphModel
    {
        internal static readonly ModelReader<PasswordProfile> Reader = new ModelReader<PasswordProfile>()
            .Boolean("forceChangePasswordNextSignIn", (m, v) => m.ForceChangePasswordNextSignIn = v)
            .Boolean("forceChangePasswordNextSignInWithMfa", (m, v) => m.ForceChangePasswordNextSignInWithMfa = v)
            .String("password", (m, v) => m.Password = v);

        /// <summary>True if the user must change the password at the next sign-in.</summary>
        public bool? ForceChangePasswordNextSignIn { get; set; }

        /// <summary>True if the user must perform multifactor authentication before changing the password.</summary>
        public bool? ForceChangePasswordNextSignInWithMfa { get; set; }

        /// <summary>The password for the user; Graph never returns it.</summary>
        public string? Password { get; set; }
    }

    /// <summary>The extension attributes 1-15 of a user.</summary>
    public sealed class OnPremisesExtensionAttributes : GraphModel
    {
        internal static readonly ModelReader<OnPremisesExtensionAttributes> Reader = new ModelReader<OnPremisesExtensionAttributes>()
            .String("extensionAttribute1", (m, v) => m.ExtensionAttribute1 = v)
            .String("extensionAttribute2", (m, v) => m.ExtensionAttribute2 = v)
            .String("extensionAttribute3", (m, v) => m.ExtensionAttribute3 = v)
            .String("extensionAttribute4", (m, v) => m.ExtensionAttribute4 = v)
            .String("extensionAttribute5", (m, v) => m.ExtensionAttribute5 = v)
            .String("extensionAttribute6", (m, v) => m.ExtensionAttribute6 = v)
            .String("extensionAttribute7", (m, v) => m.ExtensionAttribute7 = v)
            .String("extensionAttribute8", (m, v) => m.ExtensionAttribute8 = v)
            .String("extensionAttribute9", (m, v) => m.ExtensionAttribute9 = v)
            .String("extensionAttribute10", (m, v) => m.ExtensionAttribute10 = v)
            .String("extensionAttribute11", (m, v) => m.ExtensionAttribute11 = v)
            .String("extensionAttribute12", (m, v) => m.ExtensionAttribute12 = v)
            .String("extensionAttribute13", (m, v) => m.ExtensionAttribute13 = v)
            .String("extensionAttribute14", (m, v) => m.ExtensionAttribute14 = v)
            .String("extensionAttribute15", (m, v) => m.ExtensionAttribute15 = v);

        /// <summary>Extension attribute 1.</summary>
        public string? ExtensionAttribute1 { get; set; }

        /// <summary>Extension attribute 2.</summary>
        public string? ExtensionAttribute2 { get; set; }

        /// <summary>Extension attribute 3.</summary>
        public string? ExtensionAttribute3 { get; set; }

        /// <summary>Extension attribute 4.</summary>
        public string? ExtensionAttribute4 { get; set; }

        /// <summary>Extension attribute 5.</summary>
        public string? ExtensionAttribute5 { get; set; }

        /// <summary>Extension attribute 6.</summary>
        public string? ExtensionAttribute6 { get; set; }

        /// <summary>Extension attribute 7.</summary>
        public string? ExtensionAttribute7 { get; set; }

        /// <summary>Extension attribute 8.</summary>
        public string? ExtensionAttribute8 { get; set; }

        /// <summary>Extension attribute 9.</summary>
        public string? ExtensionAttribute9 { get; set; }

        /// <summary>Extension attribute 10.</summary>
        public string? ExtensionAttribute10 { get; set; }

        /// <summary>Extension attribute 11.</summary>
        public string? ExtensionAttribute11 { get; set; }

        /// <summary>Extension attribute 12.</summary>
        public string? ExtensionAttribute12 { get; set; }

        /// <summary>Extension attribute 13.</summary>
        public string? ExtensionAttribute13 { get; set; }

        /// <summary>Extension attribute 14.</summary>
        public string? ExtensionAttribute14 { get; set; }

        /// <summary>Extension attribute 15.</summary>
        public string? ExtensionAttribute15 { get; set; }
    }
}
