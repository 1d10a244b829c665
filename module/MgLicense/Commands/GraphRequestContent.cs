// Invoke-MgGraphRequest's bodies: -Body to the bytes sent (JSON from dictionaries and objects, with the module's own writer), and
// an answer's bytes to what the pipeline gets (-OutputType).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Text;
using MgLicense.Native;

namespace MgLicense.Commands
{
    internal static class GraphRequestContent
    {
        /// <summary>Deepest -Body converted to JSON: deeper is almost surely an object that refers to itself.</summary>
        internal const int MaxBodyDepth = 100;

        /// <summary>Whether -Body becomes JSON (a dictionary, an object with properties, a list) rather than text or bytes.</summary>
        internal static bool IsJsonBody(object body) =>
            body is IDictionary || body is PSCustomObject || (body is IEnumerable && body is not string && body is not byte[]);

        /// <summary>
        /// -Body as the bytes sent: a string as text in <paramref name="encoding"/>, bytes as given, a stream read to its end, a
        /// dictionary, custom object or list as JSON, anything else as PowerShell's text for it.
        /// </summary>
        internal static byte[] ToBytes(object body, PSObject? wrapper, Encoding encoding)
        {
            switch (body)
            {
                case string text:
                    return encoding.GetBytes(text);
                case byte[] bytes:
                    return bytes;
                case Stream stream:
                    using (var copy = new MemoryStream())
                    {
                        stream.CopyTo(copy);
                        return copy.ToArray();
                    }
            }

            if (IsJsonBody(body))
            {
                var writer = new JsonWriter();
                WriteJson(writer, wrapper ?? PSObject.AsPSObject(body), 0);
                return writer.ToArray();
            }

            return encoding.GetBytes((string)LanguagePrimitives.ConvertTo(wrapper ?? body, typeof(string), CultureInfo.InvariantCulture));
        }

        private static void WriteJson(JsonWriter writer, object? value, int depth)
        {
            if (depth > MaxBodyDepth)
            {
                throw new ArgumentException(
                    $"-Body is nested deeper than {MaxBodyDepth} levels, so it was not sent; an object that contains itself never ends.");
            }

            PSObject? wrapper = value as PSObject;
            object? plain = wrapper is not null ? wrapper.BaseObject : value;
            switch (plain)
            {
                case null:
                    writer.WriteNullValue();
                    return;
                case string text:
                    writer.WriteStringValue(text);
                    return;
                case char c:
                    writer.WriteStringValue(c.ToString());
                    return;
                case bool flag:
                    writer.WriteBooleanValue(flag);
                    return;
                case SwitchParameter s:
                    writer.WriteBooleanValue(s.IsPresent);
                    return;
                case Enum e:
                    writer.WriteStringValue(e.ToString());
                    return;
                case sbyte or byte or short or ushort or int or uint or long:
                    writer.WriteNumberValue(Convert.ToInt64(plain, CultureInfo.InvariantCulture));
                    return;
                case ulong large:
                    writer.WriteNumberValue(large);
                    return;
                case decimal exact:
                    writer.WriteNumberValue(exact);
                    return;
                case float or double:
                    double real = Convert.ToDouble(plain, CultureInfo.InvariantCulture);
                    if (double.IsNaN(real) || double.IsInfinity(real))
                    {
                        throw new ArgumentException($"-Body holds the number {real}, which JSON cannot carry.");
                    }

                    writer.WriteNumberValue(real);
                    return;
                case DateTime moment:
                    writer.WriteStringValue(moment.ToString("o", CultureInfo.InvariantCulture));
                    return;
                case DateTimeOffset at:
                    writer.WriteStringValue(at.ToString("o", CultureInfo.InvariantCulture));
                    return;
                case Guid or Uri or TimeSpan:
                    writer.WriteStringValue(Convert.ToString(plain, CultureInfo.InvariantCulture));
                    return;
                case IDictionary map:
                    writer.WriteStartObject();
                    foreach (DictionaryEntry entry in map)
                    {
                        object key = entry.Key is PSObject pk ? pk.BaseObject : entry.Key;
                        writer.WritePropertyName(Convert.ToString(key, CultureInfo.InvariantCulture) ?? string.Empty);
                        WriteJson(writer, entry.Value, depth + 1);
                    }

                    writer.WriteEndObject();
                    return;
                case IEnumerable items:
                    writer.WriteStartArray();
                    foreach (object? item in items)
                    {
                        WriteJson(writer, item, depth + 1);
                    }

                    writer.WriteEndArray();
                    return;
            }

            // A custom object or any other object: its properties, by name.
            PSObject shown = wrapper ?? PSObject.AsPSObject(plain);
            writer.WriteStartObject();
            bool custom = plain is PSCustomObject;
            foreach (PSPropertyInfo property in shown.Properties)
            {
                if (custom && property.MemberType != PSMemberTypes.NoteProperty && property.MemberType != PSMemberTypes.ScriptProperty)
                {
                    continue;
                }

                if (!property.IsGettable)
                {
                    continue;
                }

                object? item;
                try
                {
                    item = property.Value;
                }
                catch (GetValueException)
                {
                    continue;
                }

                writer.WritePropertyName(property.Name);
                WriteJson(writer, item, depth + 1);
            }

            writer.WriteEndObject();
        }

        /// <summary>The answer's text in the charset its Content-Type names, else UTF-8 (a BOM is left out).</summary>
        internal static string ToText(byte[] body, string? contentType)
        {
            Encoding encoding = EncodingOf(contentType) ?? new UTF8Encoding(false);
            string text = encoding.GetString(body);
            return text.Length > 0 && text[0] == '\uFEFF' ? text.Substring(1) : text;
        }

        /// <summary>The encoding a Content-Type's charset names, or null when it names none the platform knows.</summary>
        internal static Encoding? EncodingOf(string? contentType)
        {
            if (contentType is null)
            {
                return null;
            }

            foreach (string part in contentType.Split(';'))
            {
                string[] pair = part.Split(new[] { '=' }, 2);
                if (pair.Length == 2 && pair[0].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
                {
                    try
                    {
                        return Encoding.GetEncoding(pair[1].Trim().Trim('"'));
                    }
                    catch (ArgumentException)
                    {
                        return null;
                    }
                }
            }

            return null;
        }

        /// <summary>A JSON value as -OutputType HashTable writes it: objects as case-insensitive hashtables, arrays as object[].</summary>
        internal static object? ToHashtable(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
                    foreach (JsonProperty property in element.EnumerateObject())
                    {
                        // A second key that differs only in case replaces the first, as in a PowerShell hashtable.
                        table[Json.Name(property)] = ToHashtable(property.Value);
                    }

                    return table;
                case JsonValueKind.Array:
                    var items = new List<object?>();
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        items.Add(ToHashtable(item));
                    }

                    return items.ToArray();
                default:
                    return Scalar(element);
            }
        }

        /// <summary>A JSON value as -OutputType PSObject writes it: objects as PSCustomObjects with the JSON's names.</summary>
        internal static object? ToPSObject(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var result = new PSObject();
                    var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                    foreach (JsonProperty property in element.EnumerateObject())
                    {
                        string name = Json.Name(property);
                        if (names.Add(name))
                        {
                            result.Properties.Add(new PSNoteProperty(name, ToPSObject(property.Value)));
                        }
                    }

                    return result;
                case JsonValueKind.Array:
                    var items = new List<object?>();
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        items.Add(ToPSObject(item));
                    }

                    return items.ToArray();
                default:
                    return Scalar(element);
            }
        }

        private static object? Scalar(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    return Json.String(element);
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                case JsonValueKind.Number:
                    if (element.TryGetInt64(out long whole))
                    {
                        return whole;
                    }

                    string text = element.GetNumberText();
                    return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal exact) && text.IndexOfAny(new[] { 'e', 'E' }) < 0
                        ? exact
                        : element.GetDouble();
                default:
                    return null;
            }
        }
    }
}
