// The v1.0 user resource as a typed model, its properties read straight from Graph's JSON; beta users use it too, with the beta SDK's type name.
using System;

namespace MgLicense.Models
{
    /// <summary>A Microsoft Entra user, with the properties of the v1.0 user resource (Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser).</summary>
    public sealed class User : GraphModel
    {
        internal static readonly ModelReader<User> Reader = new ModelReader<User>()
            .String("aboutMe", (m, v) => m.AboutMe = v)
            .Boolean("accountEnabled", (m, v) => m.AccountEnabled = v)
            .String("ageGroup", (m, v) => m.AgeGroup = v)
            .Models("assignedLicenses", AssignedLicense.Reader, (m, v) => m.AssignedLicenses = v)
            .Models("assignedPlans", AssignedPlan.Reader, (m, v) => m.AssignedPlans = v)
            .Model("authorizationInfo", AuthorizationInfo.Reader, (m, v) => m.AuthorizationInfo = v)
            .DateTime("birthday", (m, v) => m.Birthday = v)
            .Strings("businessPhones", (m, v) => m.BusinessPhones = v)
            .String("city", (m, v) => m.City = v)
            .String("companyName", (m, v) => m.CompanyName = v)
            .String("consentProvidedForMinor", (m, v) => m.ConsentProvidedForMinor = v)
            .String("country", (m, v) => m.Country = v)
            .DateTime("createdDateTime", (m, v) => m.CreatedDateTime = v)
            .String("creationType", (m, v) => m.CreationType = v)
            .Value("customSecurityAttributes", (m, v) => m.CustomSecurityAttributes = v)
            .DateTime("deletedDateTime", (m, v) => m.DeletedDateTime = v)
            .String("department", (m, v) => m.Department = v)
            .String("displayName", (m, v) => m.DisplayName = v)
            .DateTime("employeeHireDate", (m, v) => m.EmployeeHireDate = v)
            .String("employeeId", (m, v) => m.EmployeeId = v)
            .DateTime("employeeLeaveDateTime", (m, v) => m.EmployeeLeaveDateTime = v)
            .Model("employeeOrgData", EmployeeOrgData.Reader, (m, v) => m.EmployeeOrgData = v)
            .String("employeeType", (m, v) => m.EmployeeType = v)
            .String("externalUserState", (m, v) => m.ExternalUserState = v)
            .DateTime("externalUserStateChangeDateTime", (m, v) => m.ExternalUserStateChangeDateTime = v)
            .String("faxNumber", (m, v) => m.FaxNumber = v)
            .String("givenName", (m, v) => m.GivenName = v)
            .DateTime("hireDate", (m, v) => m.HireDate = v)
            .String("id", (m, v) => m.Id = v)
            .Models("identities", ObjectIdentity.Reader, (m, v) => m.Identities = v)
            .Strings("imAddresses", (m, v) => m.ImAddresses = v)
            .Strings("interests", (m, v) => m.Interests = v)
            .Boolean("isManagementRestricted", (m, v) => m.IsManagementRestricted = v)
            .Boolean("isResourceAccount", (m, v) => m.IsResourceAccount = v)
            .String("jobTitle", (m, v) => m.JobTitle = v)
            .DateTime("lastPasswordChangeDateTime", (m, v) => m.LastPasswordChangeDateTime = v)
            .String("legalAgeGroupClassification", (m, v) => m.LegalAgeGroupClassification = v)
            .Models("licenseAssignmentStates", LicenseAssignmentState.Reader, (m, v) => m.LicenseAssignmentStates = v)
            .String("mail", (m, v) => m.Mail = v)
            .Value("mailboxSettings", (m, v) => m.MailboxSettings = v)
            .String("mailNickname", (m, v) => m.MailNickname = v)
            .String("mobilePhone", (m, v) => m.MobilePhone = v)
            .String("mySite", (m, v) => m.MySite = v)
            .String("officeLocation", (m, v) => m.OfficeLocation = v)
            .String("onPremisesDistinguishedName", (m, v) => m.OnPremisesDistinguishedName = v)
            .String("onPremisesDomainName", (m, v) => m.OnPremisesDomainName = v)
            .Model("onPremisesExtensionAttributes", OnPremisesExtensionAttributes.Reader, (m, v) => m.OnPremisesExtensionAttributes = v)
            .String("onPremisesImmutableId", (m, v) => m.OnPremisesImmutableId = v)
            .DateTime("onPremisesLastSyncDateTime", (m, v) => m.OnPremisesLastSyncDateTime = v)
            .Models("onPremisesProvisioningErrors", OnPremisesProvisioningError.Reader, (m, v) => m.OnPremisesProvisioningErrors = v)
            .String("onPremisesSamAccountName", (m, v) => m.OnPremisesSamAccountName = v)
            .String("onPremisesSecurityIdentifier", (m, v) => m.OnPremisesSecurityIdentifier = v)
            .Boolean("onPremisesSyncEnabled", (m, v) => m.OnPremisesSyncEnabled = v)
            .String("onPremisesUserPrincipalName", (m, v) => m.OnPremisesUserPrincipalName = v)
            .Strings("otherMails", (m, v) => m.OtherMails = v)
            .String("passwordPolicies", (m, v) => m.PasswordPolicies = v)
            .Model("passwordProfile", PasswordProfile.Reader, (m, v) => m.PasswordProfile = v)
            .Strings("pastProjects", (m, v) => m.PastProjects = v)
            .String("postalCode", (m, v) => m.PostalCode = v)
            .String("preferredDataLocation", (m, v) => m.PreferredDataLocation = v)
            .String("preferredLanguage", (m, v) => m.PreferredLanguage = v)
            .String("preferredName", (m, v) => m.PreferredName = v)
            .Models("provisionedPlans", ProvisionedPlan.Reader, (m, v) => m.ProvisionedPlans = v)
            .Strings("proxyAddresses", (m, v) => m.ProxyAddresses = v)
            .Strings("responsibilities", (m, v) => m.Responsibilities = v)
            .Strings("schools", (m, v) => m.Schools = v)
            .String("securityIdentifier", (m, v) => m.SecurityIdentifier = v)
            .Value("serviceProvisioningErrors", (m, v) => m.ServiceProvisioningErrors = v)
            .Boolean("showInAddressList", (m, v) => m.ShowInAddressList = v)
            .Value("signInActivity", (m, v) => m.SignInActivity = v)
            .DateTime("signInSessionsValidFromDateTime", (m, v) => m.SignInSessionsValidFromDateTime = v)
            .Strings("skills", (m, v) => m.Skills = v)
            .String("state", (m, v) => m.State = v)
            .String("streetAddress", (m, v) => m.StreetAddress = v)
            .String("surname", (m, v) => m.Surname = v)
            .String("usageLocation", (m, v) => m.UsageLocation = v)
            .String("userPrincipalName", (m, v) => m.UserPrincipalName = v)
            .String("userType", (m, v) => m.UserType = v);

        /// <summary>A freeform text entry field for the user to describe themselves.</summary>
        public string? AboutMe { get; set; }

        /// <summary>True if the account is enabled.</summary>
        public bool? AccountEnabled { get; set; }

        /// <summary>The age group of the user: null, Minor, NotAdult or Adult.</summary>
        public string? AgeGroup { get; set; }

        /// <summary>The licenses assigned to the user, directly or through groups.</summary>
        public AssignedLicense?[]? AssignedLicenses { get; set; }

        /// <summary>The service plans assigned to the user.</summary>
        public AssignedPlan?[]? AssignedPlans { get; set; }

        /// <summary>Identifiers that identify the user in other authorization systems.</summary>
        public AuthorizationInfo? AuthorizationInfo { get; set; }

        /// <summary>The birthday of the user.</summary>
        public DateTime? Birthday { get; set; }

        /// <summary>The telephone numbers for the user.</summary>
        public string[]? BusinessPhones { get; set; }

        /// <summary>The city where the user is located.</summary>
        public string? City { get; set; }

        /// <summary>The name of the company the user is associated with.</summary>
        public string? CompanyName { get; set; }

        /// <summary>Whether consent was obtained for minors: null, Granted, Denied or NotRequired.</summary>
        public string? ConsentProvidedForMinor { get; set; }

        /// <summary>The country or region where the user is located.</summary>
        public string? Country { get; set; }

        /// <summary>When the user was created.</summary>
        public DateTime? CreatedDateTime { get; set; }

        /// <summary>How the user account was created (Invitation, LocalAccount, SelfServiceSignUp, EmailVerified), or null.</summary>
        public string? CreationType { get; set; }

        /// <summary>The custom security attributes assigned to the user, by attribute set.</summary>
        public object? CustomSecurityAttributes { get; set; }

        /// <summary>When the user was deleted, for a deleted item.</summary>
        public DateTime? DeletedDateTime { get; set; }

        /// <summary>The name of the department in which the user works.</summary>
        public string? Department { get; set; }

        /// <summary>The name displayed in the address book for the user.</summary>
        public string? DisplayName { get; set; }

        /// <summary>The date and time when the user was hired or will start work.</summary>
        public DateTime? EmployeeHireDate { get; set; }

        /// <summary>The employee identifier assigned to the user by the organization.</summary>
        public string? EmployeeId { get; set; }

        /// <summary>The date and time when the user left or will leave the organization.</summary>
        public DateTime? EmployeeLeaveDateTime { get; set; }

        /// <summary>The organization (division, cost center) of the user.</summary>
        public EmployeeOrgData? EmployeeOrgData { get; set; }

        /// <summary>The enterprise worker type: Employee, Contractor, Consultant, Vendor, and so on.</summary>
        public string? EmployeeType { get; set; }

        /// <summary>For a guest invited through the invitation API: PendingAcceptance or Accepted, or null.</summary>
        public string? ExternalUserState { get; set; }

        /// <summary>When ExternalUserState last changed.</summary>
        public DateTime? ExternalUserStateChangeDateTime { get; set; }

        /// <summary>The fax number of the user.</summary>
        public string? FaxNumber { get; set; }

        /// <summary>The given name (first name) of the user.</summary>
        public string? GivenName { get; set; }

        /// <summary>The hire date of the user.</summary>
        public DateTime? HireDate { get; set; }

        /// <summary>The unique identifier of the user.</summary>
        public string? Id { get; set; }

        /// <summary>The identities that can be used to sign in to this user account.</summary>
        public ObjectIdentity?[]? Identities { get; set; }

        /// <summary>The instant message voice-over-IP (VOIP) session initiation protocol (SIP) addresses for the user.</summary>
        public string[]? ImAddresses { get; set; }

        /// <summary>A list for the user to describe their interests.</summary>
        public string[]? Interests { get; set; }

        /// <summary>True if the user is a member of a restricted management administrative unit.</summary>
        public bool? IsManagementRestricted { get; set; }

        /// <summary>Do not use: reserved for future use.</summary>
        public bool? IsResourceAccount { get; set; }

        /// <summary>The user's job title.</summary>
        public string? JobTitle { get; set; }

        /// <summary>When the user last changed their password or had it reset.</summary>
        public DateTime? LastPasswordChangeDateTime { get; set; }

        /// <summary>Used by enterprise applications to determine the legal age group of the user.</summary>
        public string? LegalAgeGroupClassification { get; set; }

        /// <summary>The state of each license assignment: direct or by group, and whether it is in error.</summary>
        public LicenseAssignmentState?[]? LicenseAssignmentStates { get; set; }

        /// <summary>The SMTP address for the user.</summary>
        public string? Mail { get; set; }

        /// <summary>Settings for the primary mailbox of the signed-in user.</summary>
        public object? MailboxSettings { get; set; }

        /// <summary>The mail alias for the user.</summary>
        public string? MailNickname { get; set; }

        /// <summary>The primary cellular telephone number for the user.</summary>
        public string? MobilePhone { get; set; }

        /// <summary>The URL for the user's personal site.</summary>
        public string? MySite { get; set; }

        /// <summary>The office location in the user's place of business.</summary>
        public string? OfficeLocation { get; set; }

        /// <summary>The on-premises Active Directory distinguished name (DN), for users synchronized from it.</summary>
        public string? OnPremisesDistinguishedName { get; set; }

        /// <summary>The on-premises domain name, for users synchronized from it.</summary>
        public string? OnPremisesDomainName { get; set; }

        /// <summary>Extension attributes 1-15 of the user.</summary>
        public OnPremisesExtensionAttributes? OnPremisesExtensionAttributes { get; set; }

        /// <summary>Associates an on-premises Active Directory user account with its Microsoft Entra user object.</summary>
        public string? OnPremisesImmutableId { get; set; }

        /// <summary>When the object was last synced with the on-premises directory.</summary>
        public DateTime? OnPremisesLastSyncDateTime { get; set; }

        /// <summary>Errors when provisioning the user from the on-premises directory.</summary>
        public OnPremisesProvisioningError?[]? OnPremisesProvisioningErrors { get; set; }

        /// <summary>The on-premises sAMAccountName, for users synchronized from it.</summary>
        public string? OnPremisesSamAccountName { get; set; }

        /// <summary>The on-premises security identifier (SID), for users synchronized from it.</summary>
        public string? OnPremisesSecurityIdentifier { get; set; }

        /// <summary>True if the user is synced from an on-premises directory, false if it no longer is, null if it never was.</summary>
        public bool? OnPremisesSyncEnabled { get; set; }

        /// <summary>The on-premises userPrincipalName, for users synchronized from it.</summary>
        public string? OnPremisesUserPrincipalName { get; set; }

        /// <summary>Additional email addresses for the user.</summary>
        public string[]? OtherMails { get; set; }

        /// <summary>The password policies for the user, such as DisableStrongPassword.</summary>
        public string? PasswordPolicies { get; set; }

        /// <summary>The password profile for the user.</summary>
        public PasswordProfile? PasswordProfile { get; set; }

        /// <summary>A list for the user to enumerate their past projects.</summary>
        public string[]? PastProjects { get; set; }

        /// <summary>The postal code for the user's postal address.</summary>
        public string? PostalCode { get; set; }

        /// <summary>The preferred data location for the user (multi-geo).</summary>
        public string? PreferredDataLocation { get; set; }

        /// <summary>The preferred language for the user, an ISO 639-1 code such as en-US.</summary>
        public string? PreferredLanguage { get; set; }

        /// <summary>The preferred name for the user.</summary>
        public string? PreferredName { get; set; }

        /// <summary>The plans that are provisioned for the user.</summary>
        public ProvisionedPlan?[]? ProvisionedPlans { get; set; }

        /// <summary>The email addresses of the user, such as SMTP:bob@contoso.com.</summary>
        public string[]? ProxyAddresses { get; set; }

        /// <summary>A list for the user to enumerate their responsibilities.</summary>
        public string[]? Responsibilities { get; set; }

        /// <summary>A list for the user to enumerate the schools they attended.</summary>
        public string[]? Schools { get; set; }

        /// <summary>The security identifier (SID) of the user.</summary>
        public string? SecurityIdentifier { get; set; }

        /// <summary>Errors when provisioning the user to an associated service.</summary>
        public object? ServiceProvisioningErrors { get; set; }

        /// <summary>Do not use in Microsoft Graph: manage this property through the Microsoft 365 admin center.</summary>
        public bool? ShowInAddressList { get; set; }

        /// <summary>The last interactive and non-interactive sign-ins of the user.</summary>
        public object? SignInActivity { get; set; }

        /// <summary>Refresh tokens or session tokens issued before this time are invalid.</summary>
        public DateTime? SignInSessionsValidFromDateTime { get; set; }

        /// <summary>A list for the user to enumerate their skills.</summary>
        public string[]? Skills { get; set; }

        /// <summary>The state or province in the user's address.</summary>
        public string? State { get; set; }

        /// <summary>The street address of the user's place of business.</summary>
        public string? StreetAddress { get; set; }

        /// <summary>The user's surname (family name or last name).</summary>
        public string? Surname { get; set; }

        /// <summary>A two-letter country code (ISO 3166); required for users who are assigned licenses.</summary>
        public string? UsageLocation { get; set; }

        /// <summary>The user principal name (UPN) of the user.</summary>
        public string? UserPrincipalName { get; set; }

        /// <summary>The type of the user: Member or Guest.</summary>
        public string? UserType { get; set; }
    }
}
