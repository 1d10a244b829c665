// The typed Graph models' shared part: AdditionalProperties as the official models have it, and the reader that fills a model straight from JSON.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.CompilerServices;
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

        /// <summary>
        /// Stores the next value of a reader in a model, read straight from its bytes; false, with the reader where it was,
        /// when the value is not of the declared type (it is then read as a tree and goes where <see cref="Setter"/> puts it).
        /// </summary>
        private delegate bool Streamer(T model, ref JsonReader reader);

        private readonly Dictionary<string, (int Index, Setter Set, Streamer Stream)> fields =
            new Dictionary<string, (int, Setter, Streamer)>(StringComparer.OrdinalIgnoreCase);

        /// <summary>True when the class declares a property of this JSON name.</summary>
        internal bool Declares(string name) => fields.ContainsKey(name);

        internal ModelReader<T> String(string name, Action<T, string?> set) =>
            Add(name, (m, v) => JsonValue.TryString(v, out string? s) && Stored(set, m, s),
                (T m, ref JsonReader r) => JsonValue.TryString(ref r, out string? s) && Stored(set, m, s));

        internal ModelReader<T> Boolean(string name, Action<T, bool?> set) =>
            Add(name, (m, v) => JsonValue.TryBoolean(v, out bool? b) && Stored(set, m, b),
                (T m, ref JsonReader r) => JsonValue.TryBoolean(ref r, out bool? b) && Stored(set, m, b));

        internal ModelReader<T> DateTime(string name, Action<T, DateTime?> set) =>
            Add(name, (m, v) => JsonValue.TryDateTime(v, out DateTime? d) && Stored(set, m, d),
                (T m, ref JsonReader r) => JsonValue.TryDateTime(ref r, out DateTime? d) && Stored(set, m, d));

        internal ModelReader<T> Strings(string name, Action<T, string[]?> set) =>
            Add(name, (m, v) => JsonValue.TryStrings(v, out string[]? a) && Stored(set, m, a),
                (T m, ref JsonReader r) => JsonValue.TryStrings(ref r, out string[]? a) && Stored(set, m, a));

        internal ModelReader<T> Model<TModel>(string name, ModelReader<TModel> reader, Action<T, TModel?> set)
            where TModel : GraphModel, new() =>
            Add(name, (m, v) => reader.TryRead(v, out TModel? model) && Stored(set, m, model),
                (T m, ref JsonReader r) => reader.TryRead(ref r, out TModel? model) && Stored(set, m, model));

        internal ModelReader<T> Models<TModel>(string name, ModelReader<TModel> reader, Action<T, TModel?[]?> set)
            where TModel : GraphModel, new() =>
            Add(name, (m, v) => reader.TryReadArray(v, out TModel?[]? models) && Stored(set, m, models),
                (T m, ref JsonReader r) => reader.TryReadArray(ref r, out TModel?[]? models) && Stored(set, m, models));

        /// <summary>A declared property whose value is taken as the untyped models take it (objects as PSObjects).</summary>
        internal ModelReader<T> Value(string name, Action<T, object?> set) =>
            Add(name, (m, v) => Stored(set, m, GraphObject.ToValue(v)), (T m, ref JsonReader r) => false);

        /// <summary>As <see cref="TryRead(JsonElement, out T)"/>, from the next value of a reader; false (the reader left where it was) for a value of another type.</summary>
        [MethodImpl(HotPath.Optimized)]
        internal bool TryRead(ref JsonReader reader, out T? model)
        {
            model = null;
            switch (reader.Peek())
            {
                case (byte)'n':
                    reader.ReadStringOrNull();
                    return true;
                case (byte)'{':
                    model = Read(ref reader);
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>As <see cref="TryReadArray(JsonElement, out T[])"/>, from the next value of a reader.</summary>
        [MethodImpl(HotPath.Optimized)]
        internal bool TryReadArray(ref JsonReader reader, out T?[]? models) => JsonValue.TryArray<T?>(ref reader, TryRead, out models);

        /// <summary>
        /// A model from the object at the reader, its members stored as they are read: what <see cref="Read(JsonElement)"/>
        /// gives from the same object's tree, without building the tree.
        /// </summary>
        [MethodImpl(HotPath.Optimized)]
        internal unsafe T Read(ref JsonReader reader)
        {
            var model = new T();
            int words = (fields.Count + 63) / 64;
            ulong* seen = stackalloc ulong[words];
            for (int w = 0; w < words; w++)
            {
                seen[w] = 0;
            }

            if (!reader.StartObject())
            {
                return model;
            }

            do
            {
                string name = reader.MemberName();
                bool declared = fields.TryGetValue(name, out (int Index, Setter Set, Streamer Stream) field);
                ulong bit = declared ? 1UL << (field.Index % 64) : 0;
                bool first = declared && (seen[field.Index / 64] & bit) == 0;
                if (first && field.Stream(model, ref reader))
                {
                    seen[field.Index / 64] |= bit;
                    continue;
                }

                JsonElement value = reader.ReadValue();
                if (first && field.Set(model, value))
                {
                    seen[field.Index / 64] |= bit;
                    continue;
                }

                model.AdditionalProperties[name] = GraphObject.ToValue(value);
            }
            while (reader.NextMember());

            return model;
        }

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
                if (fields.TryGetValue(name, out (int Index, Setter Set, Streamer Stream) field))
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
        internal PSObject ToPSObject(JsonElement element, IReadOnlyList<string> typeNames) => ToPSObject(Read(element), typeNames);

        /// <summary>As <see cref="ToPSObject(JsonElement, IReadOnlyList{string})"/>, read straight from item <paramref name="index"/> of a page.</summary>
        [MethodImpl(HotPath.Optimized)]
        internal PSObject ToPSObject(JsonPage page, int index, IReadOnlyList<string> typeNames)
        {
            JsonReader reader = page.Item(index);
            T model = Read(ref reader);
            reader.End();
            return ToPSObject(model, typeNames);
        }

        [MethodImpl(HotPath.Optimized)]
        private PSObject ToPSObject(T model, IReadOnlyList<string> typeNames)
        {
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

        private ModelReader<T> Add(string name, Setter set, Streamer stream)
        {
            fields.Add(name, (fields.Count, set, stream));
            return this;
        }

        [MethodImpl(HotPath.Optimized)]
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

        /// <summary>As <see cref="TryString(JsonElement, out string)"/>, from the next value of a reader (left where it was when false).</summary>
        [MethodImpl(HotPath.Optimized)]
        internal static bool TryString(ref JsonReader reader, out string? value)
        {
            value = null;
            byte next = reader.Peek();
            if (next != '"' && next != 'n')
            {
                return false;
            }

            value = reader.ReadStringOrNull();
            return true;
        }

        [MethodImpl(HotPath.Optimized)]
        internal static bool TryBoolean(ref JsonReader reader, out bool? value)
        {
            value = null;
            byte next = reader.Peek();
            if (next != 't' && next != 'f' && next != 'n')
            {
                return false;
            }

            value = reader.ReadBooleanOrNull();
            return true;
        }

        [MethodImpl(HotPath.Optimized)]
        internal static bool TryDateTime(ref JsonReader reader, out DateTime? value)
        {
            value = null;
            var mark = reader.Mark();
            if (!TryString(ref reader, out string? text))
            {
                return false;
            }

            if (text is null || TryDateTime(text, out value))
            {
                return true;
            }

            reader.Reset(mark);
            return false;
        }

        [MethodImpl(HotPath.Optimized)]
        internal static bool TryStrings(ref JsonReader reader, out string[]? value) => TryArray<string?>(ref reader, TryString, out value!);

        /// <summary>Reads one item of an array from a reader; false (the reader left where it was) for an item of another type.</summary>
        internal delegate bool ItemReader<TItem>(ref JsonReader reader, out TItem item);

        /// <summary>An array (or null) of items each <paramref name="item"/> reads; false, the reader left where it was, when one is of another type.</summary>
        [MethodImpl(HotPath.Optimized)]
        internal static bool TryArray<TItem>(ref JsonReader reader, ItemReader<TItem> item, out TItem[]? values)
        {
            values = null;
            switch (reader.Peek())
            {
                case (byte)'n':
                    reader.ReadStringOrNull();
                    return true;
                case (byte)'[':
                    break;
                default:
                    return false;
            }

            var mark = reader.Mark();
            var result = new List<TItem>();
            if (reader.StartArray())
            {
                do
                {
                    if (!item(ref reader, out TItem value))
                    {
                        reader.Reset(mark);
                        return false;
                    }

                    result.Add(value);
                }
                while (reader.NextItem());
            }

            values = result.ToArray();
            return true;
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

            return element.ValueKind == JsonValueKind.String && Json.String(element) is string text && TryDateTime(text, out value);
        }

        /// <summary>A date's text as the official models read it; false (not a date: kept as it came, in AdditionalProperties) for any other.</summary>
        [MethodImpl(HotPath.Optimized)]
        private static bool TryDateTime(string text, out DateTime? value)
        {
            value = null;
            if (!IsWellFormed(text))
            {
                return false;
            }

            if (Json.IsIsoDateTime(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out DateTimeOffset when))
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
        [MethodImpl(HotPath.Optimized)]
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
