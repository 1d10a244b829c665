// ToJsonString() of the output objects, as the official models have it: the object as Graph's JSON, camelCase names, nulls left out.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using MgLicense.Native;

namespace MgLicense.Models
{
    /// <summary>
    /// The official models' ToJsonString() (AutoRest model-extensions.ts): the object as Graph's JSON. Scripts use it as
    /// <c>$u.ToJsonString() | ConvertFrom-Json</c> or to log an object. MgLicense.types.ps1xml makes it a method of every
    /// output type; it is written here once, for typed models and PSObjects alike.
    /// </summary>
    public static class ModelJson
    {
        /// <summary>Deepest nesting written; Graph's objects are a few levels deep, a cycle would be endless.</summary>
        private const int MaxDepth = 32;

        /// <summary>The object as Graph's JSON: its properties under their camelCase names, AdditionalProperties as they came.</summary>
        public static string ToJsonString(object? instance)
        {
            var json = new JsonWriter();
            WriteValue(json, instance, 0);
            return json.ToString();
        }

        private static void WriteValue(JsonWriter json, object? value, int depth)
        {
            object? inner = value is PSObject ps && ps.BaseObject is not PSCustomObject ? ps.BaseObject : value;
            switch (inner)
            {
                case null:
                    json.WriteNullValue();
                    return;
                case string text:
                    json.WriteStringValue(text);
                    return;
                case bool flag:
                    json.WriteBooleanValue(flag);
                    return;
                case DateTime moment:
                    json.WriteStringValue(moment.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                    return;
                case DateTimeOffset instant:
                    json.WriteStringValue(instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                    return;
                case Guid or char or Enum or TimeSpan:
                    json.WriteStringValue(Convert.ToString(inner, CultureInfo.InvariantCulture));
                    return;
                case sbyte or byte or short or ushort or int or uint or long:
                    json.WriteNumberValue(Convert.ToInt64(inner, CultureInfo.InvariantCulture));
                    return;
                case ulong big:
                    json.WriteNumberValue(big);
                    return;
                case decimal exact:
                    json.WriteNumberValue(exact);
                    return;
                case double or float:
                    double number = Convert.ToDouble(inner, CultureInfo.InvariantCulture);
                    if (double.IsNaN(number) || double.IsInfinity(number))
                    {
                        json.WriteNullValue();
                    }
                    else
                    {
                        json.WriteNumberValue(number);
                    }

                    return;
            }

            if (depth >= MaxDepth)
            {
                json.WriteNullValue();
                return;
            }

            switch (inner)
            {
                case IDictionary map:
                    json.WriteStartObject();
                    foreach (DictionaryEntry entry in map)
                    {
                        json.WritePropertyName(Convert.ToString(entry.Key is PSObject k ? k.BaseObject : entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                        WriteValue(json, entry.Value, depth + 1);
                    }

                    json.WriteEndObject();
                    return;
                case IEnumerable items:
                    json.WriteStartArray();
                    foreach (object? item in items)
                    {
                        WriteValue(json, item, depth + 1);
                    }

                    json.WriteEndArray();
                    return;
                default:
                    WriteObject(json, PSObject.AsPSObject(inner), depth);
                    return;
            }
        }

        /// <summary>An object's non-null properties under their camelCase names, then its non-null AdditionalProperties; each name once.</summary>
        private static void WriteObject(JsonWriter json, PSObject instance, int depth)
        {
            var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            IDictionary? additional = null;
            json.WriteStartObject();
            foreach (PSPropertyInfo property in instance.Properties)
            {
                object? value;
                try
                {
                    value = property.Value;
                }
                catch (Exception e) when (e is GetValueException or ExtendedTypeSystemException)
                {
                    continue;
                }

                if (property.Name == GraphObject.AdditionalPropertiesName)
                {
                    additional = (value is PSObject wrapped ? wrapped.BaseObject : value) as IDictionary;
                    continue;
                }

                if (value is null)
                {
                    continue;
                }

                string name = CamelCase(property.Name);
                if (written.Add(name))
                {
                    json.WritePropertyName(name);
                    WriteValue(json, value, depth + 1);
                }
            }

            if (additional is not null)
            {
                foreach (DictionaryEntry entry in additional)
                {
                    string name = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty;
                    if (entry.Value is not null && written.Add(name))
                    {
                        json.WritePropertyName(name);
                        WriteValue(json, entry.Value, depth + 1);
                    }
                }
            }

            json.WriteEndObject();
        }

        private static string CamelCase(string name) =>
            name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);
    }
}
