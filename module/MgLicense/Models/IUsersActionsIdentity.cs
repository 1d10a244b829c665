// The -InputObject type, named as the official module names it so Get-Command -Syntax reads the same; it reads only the keys the engine names (mgl_client_new's identityKeys), because the engine, not the cmdlet, decides which key addresses the call.
using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Management.Automation;

namespace MgLicense.Models
{
    /// <summary>Identity parameter: a hashtable, an object or a bare user id, read for the engine's identity keys only.</summary>
    [TypeConverter(typeof(UsersActionsIdentityTypeConverter))]
    public interface IUsersActionsIdentity
    {
    }

    /// <summary>Get-MgUser's -InputObject type, named as the official module names it; it resolves exactly as the reprocess cmdlets' identity.</summary>
    [TypeConverter(typeof(UsersActionsIdentityTypeConverter))]
    public interface IUsersIdentity : IUsersActionsIdentity
    {
    }

    /// <summary>Get-MgGroup's and Get-MgGroupMemberWithLicenseError's -InputObject type (GroupId, DirectoryObjectId), named as the official module names it.</summary>
    [TypeConverter(typeof(UsersActionsIdentityTypeConverter))]
    public interface IGroupsIdentity : IUsersActionsIdentity
    {
    }

    /// <summary>Get-MgSubscribedSku's -InputObject type (SubscribedSkuId), named as the official module names it.</summary>
    [TypeConverter(typeof(UsersActionsIdentityTypeConverter))]
    public interface IIdentityDirectoryManagementIdentity : IUsersActionsIdentity
    {
    }

    /// <summary>
    /// An identity input as given: a hashtable, an object or a bare id. The same reader serves every identity type, since
    /// each names its keys (UserId, GroupId, SubscribedSkuId, …) when it reads them.
    /// </summary>
    public sealed class UsersActionsIdentity : IUsersIdentity, IGroupsIdentity, IIdentityDirectoryManagementIdentity
    {
        private readonly IDictionary? dictionary;

        private readonly PSObject? properties;

        public UsersActionsIdentity(IDictionary values)
        {
            dictionary = values;
            Source = values;
        }

        public UsersActionsIdentity(PSObject values)
        {
            Source = values.BaseObject;
            if (values.BaseObject is IDictionary map)
            {
                dictionary = map;
            }
            else
            {
                properties = values;
            }
        }

        private UsersActionsIdentity(string userId)
        {
            UserId = userId;
            Source = userId;
        }

        /// <summary>A plain string given as the identity: the user id itself, handed to the engine as a bare JSON string.</summary>
        public string? UserId { get; }

        /// <summary>The object the identity was made from, so the cmdlet can tell when the binder also bound it to -Headers.</summary>
        internal object? Source { get; }

        /// <summary>
        /// The input's values for <paramref name="keys"/> (matched case-insensitively, as the engine matches them), in the input's
        /// order; a dictionary may hold several spellings of one key, and each is handed over for the engine to judge. Nothing
        /// else of the input is read: another property may throw, or be anything at all, without touching the call. When a
        /// getter of one of these keys throws, <paramref name="unreadable"/> names it and nothing is returned: it might have
        /// been the user id, and guessing another user would be worse than refusing the input.
        /// </summary>
        internal IReadOnlyList<KeyValuePair<string, object?>> Read(IReadOnlyList<string> keys, out string? unreadable, out Exception? reason)
        {
            unreadable = null;
            reason = null;
            var found = new List<KeyValuePair<string, object?>>();
            if (dictionary is not null)
            {
                foreach (DictionaryEntry entry in dictionary)
                {
                    object? key = entry.Key is PSObject wrapped ? wrapped.BaseObject : entry.Key;
                    if (key is string name && IsKey(name, keys))
                    {
                        found.Add(new KeyValuePair<string, object?>(name, entry.Value));
                    }
                }
            }
            else if (properties is not null)
            {
                foreach (string key in keys)
                {
                    PSPropertyInfo? property = properties.Properties[key];
                    if (property is null || !property.IsGettable)
                    {
                        continue;
                    }

                    try
                    {
                        found.Add(new KeyValuePair<string, object?>(property.Name, property.Value));
                    }
                    catch (Exception e) when (e is GetValueException or ExtendedTypeSystemException)
                    {
                        unreadable = property.Name;
                        reason = e.InnerException ?? e;
                        return Array.Empty<KeyValuePair<string, object?>>();
                    }
                }
            }

            return found;
        }

        private static bool IsKey(string name, IReadOnlyList<string> keys)
        {
            foreach (string key in keys)
            {
                if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>What the binder may turn into an identity: strings, dictionaries and objects, never another scalar.</summary>
        internal static bool CanConvert(object? value)
        {
            object? inner = value is PSObject ps ? ps.BaseObject : value;
            return inner switch
            {
                null => false,
                IUsersActionsIdentity => true,
                IDictionary => true,
                string => true,
                _ => !inner.GetType().IsPrimitive && inner is not decimal && inner is not Enum,
            };
        }

        internal static IUsersActionsIdentity Convert(object value) => value switch
        {
            IUsersActionsIdentity identity => identity,
            PSObject { BaseObject: IUsersActionsIdentity identity } => identity,
            string userId => new UsersActionsIdentity(userId),
            PSObject { BaseObject: string userId } => new UsersActionsIdentity(userId),
            IDictionary dictionary => new UsersActionsIdentity(dictionary),
            PSObject ps => new UsersActionsIdentity(ps),
            _ => new UsersActionsIdentity(PSObject.AsPSObject(value)),
        };
    }

    /// <summary>Lets the parameter binder turn a hashtable, object or string into an identity, as the official module's converter does.</summary>
    public sealed class UsersActionsIdentityTypeConverter : PSTypeConverter
    {
        public override bool CanConvertFrom(object sourceValue, Type destinationType) =>
            destinationType.IsAssignableFrom(typeof(UsersActionsIdentity)) && UsersActionsIdentity.CanConvert(sourceValue);

        public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
        {
            if (!CanConvertFrom(sourceValue, destinationType))
            {
                throw new PSInvalidCastException(
                    $"Cannot convert '{sourceValue}' to {nameof(IUsersActionsIdentity)}: give a user id, a hashtable, or an object with identity properties such as UserId.");
            }

            return UsersActionsIdentity.Convert(sourceValue);
        }

        public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

        public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
            throw new PSInvalidCastException($"Cannot convert an identity to {destinationType}.");
    }
}
