// The -InputObject type, named as the official module names it so Get-Command -Syntax reads the same; it carries the user's keys untouched because the engine, not the cmdlet, decides which key addresses the call.
using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Management.Automation;

namespace MgLicense.Models
{
    /// <summary>Identity parameter: the keys and values found on a hashtable or object, as found.</summary>
    [TypeConverter(typeof(UsersActionsIdentityTypeConverter))]
    public interface IUsersActionsIdentity
    {
        /// <summary>Every key and value of the input, in the input's order, unchanged.</summary>
        IReadOnlyList<KeyValuePair<string, object?>> Values { get; }
    }

    public sealed class UsersActionsIdentity : IUsersActionsIdentity
    {
        public UsersActionsIdentity(IDictionary values)
        {
            var list = new List<KeyValuePair<string, object?>>();
            foreach (DictionaryEntry entry in values)
            {
                list.Add(new KeyValuePair<string, object?>(System.Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, entry.Value));
            }

            Values = list;
        }

        public UsersActionsIdentity(PSObject values)
        {
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
                catch (GetValueException)
                {
                    // A property whose getter throws cannot be an identity key; the rest still can.
                    continue;
                }

                list.Add(new KeyValuePair<string, object?>(property.Name, value));
            }

            Values = list;
        }

        public IReadOnlyList<KeyValuePair<string, object?>> Values { get; }

        /// <summary>What the binder may turn into an identity: dictionaries and objects, never a bare scalar.</summary>
        internal static bool CanConvert(object? value)
        {
            object? inner = value is PSObject ps ? ps.BaseObject : value;
            return inner switch
            {
                null => false,
                IUsersActionsIdentity => true,
                IDictionary => true,
                string => false,
                _ => !inner.GetType().IsPrimitive && inner is not decimal && inner is not Enum,
            };
        }

        internal static IUsersActionsIdentity Convert(object value) => value switch
        {
            IUsersActionsIdentity identity => identity,
            PSObject { BaseObject: IUsersActionsIdentity identity } => identity,
            IDictionary dictionary => new UsersActionsIdentity(dictionary),
            PSObject ps => new UsersActionsIdentity(ps),
            _ => new UsersActionsIdentity(PSObject.AsPSObject(value)),
        };
    }

    /// <summary>Lets the parameter binder turn a hashtable or object into an identity, as the official module's converter does.</summary>
    public sealed class UsersActionsIdentityTypeConverter : PSTypeConverter
    {
        public override bool CanConvertFrom(object sourceValue, Type destinationType) =>
            destinationType.IsAssignableFrom(typeof(UsersActionsIdentity)) && UsersActionsIdentity.CanConvert(sourceValue);

        public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
        {
            if (!CanConvertFrom(sourceValue, destinationType))
            {
                throw new PSInvalidCastException(
                    $"Cannot convert '{sourceValue}' to {nameof(IUsersActionsIdentity)}: give a hashtable or an object with identity properties such as UserId.");
            }

            return UsersActionsIdentity.Convert(sourceValue);
        }

        public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

        public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
            throw new PSInvalidCastException($"Cannot convert an identity to {destinationType}.");
    }
}
