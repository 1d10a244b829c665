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

        /// <summary>
        /// -Body as JSON, as PowerShell writes it: dates round-trip, a switch as a boolean, a URI and a time span as text, any
        /// object by its properties as named; NaN, infinities and nesting deeper than <see cref="MaxBodyDepth"/> refused.
        /// </summary>
        private static readonly JsonValueRules BodyRules = new JsonValueRules
        {
            MaxDepth = MaxBodyDepth,
            TooDeep = where => $"-Body is nested deeper than {MaxBodyDepth} levels, so it was not sent; an object that contains itself never ends.",
            NonFinite = (where, number) => $"-Body holds the number {Convert.ToDouble(number, CultureInfo.InvariantCulture)}, which JSON cannot carry.",
            Text = new[] { typeof(Uri), typeof(TimeSpan) },
            SwitchAsBoolean = true,
            Objects = JsonObjects.Properties,
        };

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
                Json.WriteValue(writer, wrapper ?? PSObject.AsPSObject(body), BodyRules, "-Body");
                return writer.ToArray();
            }

            return encoding.GetBytes((string)LanguagePrimitives.ConvertTo(wrapper ?? body, typeof(string), CultureInfo.InvariantCulture));
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
