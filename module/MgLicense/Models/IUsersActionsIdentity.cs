// The -InputObject type, named as the official module names it so Get-Command -Syntax reads the same; it carries the user's keys untouched because the engine, not the cmdlet, decides which key addresses the call.
using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Management.Automation;

namespace MgLicense.Models
{
    /// <summary>Identity parameter: the keys and values found on a hashtable or object, as found, or a bare user id.</summary>
    [TypeConverter(typeof(UsersActionsIdentityTypeConverter))]
    public interface IUsersActionsIdentity
    {
        /// <summary>Every key and value of the input, in the input's order, unchanged (empty for a bare string).</summary>
        IReadOnlyList<KeyValuePair<string, object?>> Values { get; }
    }

    /// <summary>Get-MgUser's -InputObject type, named as the official module names it; it resolves exactly as the reprocess cmdlets' identity.</summary>
    [TypeConverter(typeof(UsersActionsIdentityTypeConverter))]
    public interface IUsersIdentity : IUsersActionsIdentity
    {
    }

    public sealed class UsersActionsIdentity : IUsersIdentity
    {
        private static readonly IReadOnlyList<KeyValuePair<string, object?>> None = Array.Empty<KeyValuePair<string, object?>>();

        public UsersActionsIdentity(IDictionary values)
        {
            var list = new List<KeyValuePair<string, object?>>();
            foreach (DictionaryEntry entry in values)
            {
                list.Add(new KeyValuePair<string, object?>(System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty, entry.Value));
            }

            Values = list;
            Source = values;
        }

        public UsersActionsIdentity(PSObject values)
        {
            Source = values.BaseObject;
            if (values.BaseObject is IDictionary dictionary)
            {
                Values = new UsersActionsIdentity(dictionary).Values;
                return;
            }

            var list = new List<KeyValuePair<string, object?>>();
            foreach (PSPropertyInfo property in values.Properties)
            {
                if (!property.IsGettable)
                {
                    continue;
                }

                object? value;
                try
                {
                    value = property.Value;
                }
                catch (Exception e) when (e is GetValueException or ExtendedTypeSystemException)
                {
                    // Not skipped: the property might have been the UserId, and guessing another user would be worse
                    // than refusing the input. The cmdlet reports it, naming the property, and sends nothing.
                    UnreadableProperty = property.Name;
                    UnreadableReason = e.InnerException ?? e;
                    Values = None;
                    return;
                }

                list.Add(new KeyValuePair<string, object?>(property.Name, value));
            }

            Values = list;
        }

        private UsersActionsIdentity(string userId)
        {
            UserId = userId;
            Source = userId;
            Values = None;
        }

        public IReadOnlyList<KeyValuePair<string, object?>> Values { get; }

        /// <summary>A plain string given as the identity: the user id itself, handed to the engine as a bare JSON string.</summary>
        public string? UserId { get; }

        /// <summary>The object the identity was made from, so the cmdlet can tell when the binder also bound it to -Headers.</summary>
        internal object? Source { get; }

        /// <summary>The name of the first property whose getter threw, if any; nothing is sent for such an input.</summary>
        internal string? UnreadableProperty { get; }

        internal Exception? UnreadableReason { get; }

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
