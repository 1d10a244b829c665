// The typed Graph models' shared part: AdditionalProperties as the official models have it, and the reader that fills a model straight from JSON.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using MgLicense.Native;

namespace MgLicense.Models
{
    /// <summary>
    /// A Graph resource or complex type with typed properties. What the class does not declare (annotations such as
    /// <c>@odata.context</c>, properties of a newer API version, a value of another JSON type than the declared one) is kept
    /// in <see cref="AdditionalProperties"/> under its JSON name, as the official models keep it.
    /// </summary>
    public abstract class GraphModel
    {
        private Dictionary<string, object?>? additionalProperties;

        /// <summary>Annotations and properties the class does not declare, by their JSON names (case-insensitive).</summary>
        public IDictionary<string, object?> AdditionalProperties =>
            additionalProperties ??= new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);

        internal Dictionary<string, object?>? AdditionalPropertiesIfAny => additionalProperties;
    }

    /// <summary>
    /// Reads one model class from a JSON object: a table from each declared JSON property name (case-insensitive, as
    /// PowerShell member names are) to the code that converts and stores its value. No reflection: every class lists its
    /// properties once, next to their declarations.
    /// </summary>
    internal sealed class ModelReader<T>
        where T : GraphModel, new()
    {
        /// <summary>Stores a value in a model, or returns false when the JSON value is not of the declared type.</summary>
        private delegate bool Setter(T model, JsonElement value);

        private readonly Dictionary<string, (int Index, Setter Set)> fields = new Dictionary<string, (int, Setter)>(StringComparer.OrdinalIgnoreCase);

        /// <summary>True when the class declares a property of this JSON name.</summary>
        internal bool Declares(string name) => fields.ContainsKey(name);

        internal ModelReader<T> String(string name, Action<T, string?> set) =>
            Add(name, (m, v) => JsonValue.TryString(v, out string? s) && Stored(set, m, s));

        internal ModelReader<T> Boolean(string name, Action<T, bool?> set) =>
            Add(name, (m, v) => JsonValue.TryBoolean(v, out bool? b) && Stored(set, m, b));

        internal ModelReader<T> DateTime(string name, Action<T, DateTime?> set) =>
            Add(name, (m, v) => JsonValue.TryDateTime(v, out DateTime? d) && Stored(set, m, d));

        internal ModelReader<T> Strings(string name, Action<T, string[]?> set) =>
            Add(name, (m, v) => JsonValue.TryStrings(v, out string[]? a) && Stored(set, m, a));

        internal ModelReader<T> Model<TModel>(string name, ModelReader<TModel> reader, Action<T, TModel?> set)
            where TModel : GraphModel, new() =>
            Add(name, (m, v) => reader.TryRead(v, out TModel? model) && Stored(set, m, model));

        internal ModelReader<T> Models<TModel>(string name, ModelReader<TModel> reader, Action<T, TModel?[]?> set)
            where TModel : GraphModel, new() =>
            Add(name, (m, v) => reader.TryReadArray(v, out TModel?[]? models) && Stored(set, m, models));

        /// <summary>A declared property whose value is taken as the untyped models take it (objects as PSObjects).</summary>
        internal ModelReader<T> Value(string name, Action<T, object?> set) =>
            Add(name, (m, v) => Stored(set, m, GraphObject.ToValue(v)));

        /// <summary>A model from a JSON object (null for JSON null); false for any other JSON value.</summary>
        internal bool TryRead(JsonElement element, out T? model)
        {
            model = null;
            if (element.ValueKind == JsonValueKind.Null)
            {
                return true;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            model = Read(element);
            return true;
        }

        internal unsafe T Read(JsonElement element)
        {
            var model = new T();
            // Which declared properties were stored: a second key that differs only in case goes to AdditionalProperties,
            // as it did when every property was a note property.
            int words = (fields.Count + 63) / 64;
            ulong* seen = stackalloc ulong[words];
            for (int w = 0; w < words; w++)
            {
                seen[w] = 0;
            }

            foreach (JsonProperty property in element.EnumerateObject())
            {
                string name = Json.Name(property);
                if (fields.TryGetValue(name, out (int Index, Setter Set) field))
                {
                    ulong bit = 1UL << (field.Index % 64);
                    if ((seen[field.Index / 64] & bit) == 0 && field.Set(model, property.Value))
                    {
                        seen[field.Index / 64] |= bit;
                        continue;
                    }
                }

                model.AdditionalProperties[name] = GraphObject.ToValue(property.Value);
            }

            return model;
        }

        internal bool TryReadArray(JsonElement element, out T?[]? models)
        {
            models = null;
            if (element.ValueKind == JsonValueKind.Null)
            {
                return true;
            }

            if (element.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var result = new T?[element.GetArrayLength()];
            int i = 0;
            foreach (JsonElement item in element.EnumerateArray())
            {
                if (!TryRead(item, out result[i++]))
                {
                    return false;
                }
            }

            models = result;
            return true;
        }

        /// <summary>
        /// The model as PowerShell shows it: wrapped with the official type names first, so the format views apply. A property
        /// the class does not declare (one selected with -Property, say) is also there under its PascalCase name, as every
        /// property was before the models were typed, so $u.Foo keeps working; annotations stay in AdditionalProperties only.
        /// </summary>
        internal PSObject ToPSObject(JsonElement element, IReadOnlyList<string> typeNames)
        {
            T model = Read(element);
            var result = new PSObject(model);
            for (int i = 0; i < typeNames.Count; i++)
            {
                result.TypeNames.Insert(i, typeNames[i]);
            }

            if (model.AdditionalPropertiesIfAny is Dictionary<string, object?> additional)
            {
                foreach (KeyValuePair<string, object?> pair in additional)
                {
                    string name = GraphObject.PascalCase(pair.Key);
                    if (pair.Key.IndexOf('@') < 0 && !Declares(pair.Key) && name != GraphObject.AdditionalPropertiesName)
                    {
                        // preValidated: the official model may declare the name (MemberOf, say, from -ExpandProperty) as a
                        // member of the type (MgLicense.types.ps1xml); the object's own value then wins over that empty one.
                        result.Properties.Add(new PSNoteProperty(name, pair.Value), preValidated: true);
                    }
                }
            }

            return result;
        }

        private ModelReader<T> Add(string name, Setter set)
        {
            fields.Add(name, (fields.Count, set));
            return this;
        }

        private static bool Stored<TValue>(Action<T, TValue> set, T model, TValue value)
        {
            set(model, value);
            return true;
        }
    }

    /// <summary>The JSON values the typed properties accept; each gives false for a value of another JSON type.</summary>
    internal static class JsonValue
    {
        internal static bool TryString(JsonElement element, out string? value)
        {
            value = Json.String(element);
            return element.ValueKind is JsonValueKind.String or JsonValueKind.Null;
        }

        internal static bool TryBoolean(JsonElement element, out bool? value)
        {
            value = element.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            };
            return element.ValueKind is JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null;
        }

        /// <summary>An ISO 8601 date and time as the official models have it: a UTC DateTime.</summary>
        internal static bool TryDateTime(JsonElement element, out DateTime? value)
        {
            value = null;
            if (element.ValueKind == JsonValueKind.Null)
            {
                return true;
            }

            if (element.ValueKind != JsonValueKind.String || Json.String(element) is not string text || !IsWellFormed(text))
            {
                // Not a date: kept as it came, in AdditionalProperties.
                return false;
            }

            if (element.TryGetDateTimeOffset(out DateTimeOffset when))
            {
                value = when.UtcDateTime;
                return true;
            }

            // Graph sends some dates without a time (a birthday typed as a date, say).
            if (System.DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTime day))
            {
                value = day;
                return true;
            }

            return false;
        }

        /// <summary>False for a text with an unpaired surrogate, which System.Text.Json's own readers refuse to decode.</summary>
        private static bool IsWellFormed(string text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(text[i]))
                {
                    return false;
                }
            }

            return true;
        }

        internal static bool TryStrings(JsonElement element, out string[]? value)
        {
            value = null;
            if (element.ValueKind == JsonValueKind.Null)
            {
                return true;
            }

            if (element.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var result = new string[element.GetArrayLength()];
            int i = 0;
            foreach (JsonElement item in element.EnumerateArray())
            {
                if (!TryString(item, out string? s))
                {
                    return false;
                }

                result[i++] = s!;
            }

            value = result;
            return true;
        }
    }
}
