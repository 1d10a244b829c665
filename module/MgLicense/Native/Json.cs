// Small readers over the engine's JSON documents, so cmdlets never hand-walk JsonElement, and the writer of the documents sent to it.
using System;
using System.Buffers;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MgLicense.Native
{
    internal static class Json
    {
        /// <summary>
        /// Deepest nesting read. The engine accepts Graph answers nested up to 128 levels (serde_json's limit) and wraps them in its
        /// own document (a result's body, a page's items) a level or two deeper; System.Text.Json's default of 64 would refuse
        /// answers the engine took, after the call was made.
        /// </summary>
        internal const int MaxDepth = 256;

        private static readonly JsonDocumentOptions DocumentOptions = new JsonDocumentOptions { MaxDepth = MaxDepth };

        private static readonly JsonReaderOptions ReaderOptions = new JsonReaderOptions { MaxDepth = MaxDepth };

        /// <summary>Parses and detaches the root, so no JsonDocument has to be kept alive by the caller.</summary>
        internal static JsonElement Parse(string json)
        {
            using JsonDocument document = JsonDocument.Parse(json, DocumentOptions);
            return document.RootElement.Clone();
        }

        /// <summary>Parses UTF-8 JSON (the engine's own encoding) and detaches the root.</summary>
        internal static JsonElement Parse(System.ReadOnlySpan<byte> utf8Json)
        {
            var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
            return JsonElement.ParseValue(ref reader);
        }

        /// <summary>
        /// A JSON string's text. JSON may escape an unpaired UTF-16 surrogate ("\ud800"), which GetString refuses to decode;
        /// such a string is decoded here as it was written, the lone surrogate kept, as a .NET string can hold it.
        /// </summary>
        internal static string? String(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            try
            {
                return element.GetString();
            }
            catch (InvalidOperationException)
            {
                return Unescape(element.GetRawText());
            }
        }

        /// <summary>A property's name, decoded as <see cref="String"/> decodes values.</summary>
        internal static string Name(JsonProperty property)
        {
            try
            {
                return property.Name;
            }
            catch (InvalidOperationException)
            {
                // The raw text of a property starts with its name as written: "name": value.
                string raw = property.ToString();
                int end = 1;
                while (end < raw.Length && raw[end] != '"')
                {
                    end += raw[end] == '\\' ? 2 : 1;
                }

                return Unescape(raw.Substring(0, Math.Min(end + 1, raw.Length)));
            }
        }

        /// <summary>Decodes a JSON string literal, quotes included, keeping \uXXXX escapes as the UTF-16 code units they name.</summary>
        private static string Unescape(string literal)
        {
            var text = new StringBuilder(literal.Length);
            for (int i = 1; i < literal.Length - 1; i++)
            {
                char c = literal[i];
                if (c != '\\' || i + 1 >= literal.Length - 1)
                {
                    text.Append(c);
                    continue;
                }

                char escape = literal[++i];
                switch (escape)
                {
                    case 'b': text.Append('\b'); break;
                    case 'f': text.Append('\f'); break;
                    case 'n': text.Append('\n'); break;
                    case 'r': text.Append('\r'); break;
                    case 't': text.Append('\t'); break;
                    case 'u' when i + 4 < literal.Length
                        && ushort.TryParse(literal.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort unit):
                        text.Append((char)unit);
                        i += 4;
                        break;
                    default: text.Append(escape); break;
                }
            }

            return text.ToString();
        }

        /// <summary>A JSON scalar: text, boolean, or a number of one of the types .NET reads them into.</summary>
        internal static void WriteScalar(Utf8JsonWriter writer, object value)
        {
            switch (value)
            {
                case string text:
                    writer.WriteStringValue(text);
                    break;
                case bool flag:
                    writer.WriteBooleanValue(flag);
                    break;
                case long whole:
                    writer.WriteNumberValue(whole);
                    break;
                case ulong large:
                    writer.WriteNumberValue(large);
                    break;
                case decimal exact:
                    writer.WriteNumberValue(exact);
                    break;
                case double real:
                    writer.WriteNumberValue(real);
                    break;
                default:
                    throw new ArgumentException($"A {value.GetType()} is not a JSON scalar.", nameof(value));
            }
        }

        /// <summary>
        /// Writes a document for the engine from plain values: null, strings, booleans, whole numbers, dictionaries with string
        /// keys, and lists of these. The module writes its documents this way rather than with JsonSerializer, whose first use
        /// loads its reflection machinery: megabytes of memory in a process that only imported the module and signed in.
        /// </summary>
        internal static byte[] ToUtf8(object? value)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Write(writer, value);
            }

            return buffer.WrittenSpan.ToArray();
        }

        /// <summary>As <see cref="ToUtf8"/>, as text.</summary>
        internal static string ToText(object? value) => Encoding.UTF8.GetString(ToUtf8(value));

        private static void Write(Utf8JsonWriter writer, object? value)
        {
            switch (value)
            {
                case null:
                    writer.WriteNullValue();
                    break;
                case string text:
                    writer.WriteStringValue(text);
                    break;
                case bool flag:
                    writer.WriteBooleanValue(flag);
                    break;
                case int or long:
                    writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                    break;
                case IDictionary map:
                    writer.WriteStartObject();
                    foreach (DictionaryEntry entry in map)
                    {
                        writer.WritePropertyName((string)entry.Key);
                        Write(writer, entry.Value);
                    }

                    writer.WriteEndObject();
                    break;
                case IEnumerable items:
                    writer.WriteStartArray();
                    foreach (object? item in items)
                    {
                        Write(writer, item);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    throw new ArgumentException($"A {value.GetType()} cannot be written for the engine.", nameof(value));
            }
        }

        /// <summary>JSON null, for an engine answer that carried no document.</summary>
        internal static readonly JsonElement Null = Parse("null");

        internal static string? Text(JsonElement? element, string name) =>
            element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out JsonElement v)
                && v.ValueKind == JsonValueKind.String ? String(v) : null;

        /// <summary>The strings of the array <paramref name="name"/> of a document, in order; empty when it has none.</summary>
        internal static IReadOnlyList<string> Strings(JsonElement? element, string name)
        {
            var strings = new List<string>();
            if (element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out JsonElement array)
                && array.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in array.EnumerateArray())
                {
                    if (String(item) is string text)
                    {
                        strings.Add(text);
                    }
                }
            }

            return strings;
        }

        /// <summary>Reads a <c>{"name": ["value", …]}</c> header map, keeping Graph's order.</summary>
        internal static IReadOnlyList<KeyValuePair<string, string[]>> ReadHeaders(JsonElement? element, string name)
        {
            var headers = new List<KeyValuePair<string, string[]>>();
            if (element is not { ValueKind: JsonValueKind.Object } e || !e.TryGetProperty(name, out JsonElement map)
                || map.ValueKind != JsonValueKind.Object)
            {
                return headers;
            }

            foreach (JsonProperty header in map.EnumerateObject())
            {
                var values = new List<string>();
                if (header.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement value in header.Value.EnumerateArray())
                    {
                        values.Add(value.ValueKind == JsonValueKind.String ? String(value)! : value.GetRawText());
                    }
                }
                else if (header.Value.ValueKind == JsonValueKind.String)
                {
                    values.Add(String(header.Value)!);
                }

                headers.Add(new KeyValuePair<string, string[]>(Name(header), values.ToArray()));
            }

            return headers;
        }

        /// <summary>Reads the <c>log</c> array of a result or error detail as (level, message) pairs, in order.</summary>
        internal static IReadOnlyList<KeyValuePair<string, string>> ReadLog(JsonElement? element)
        {
            var lines = new List<KeyValuePair<string, string>>();
            if (element is not { ValueKind: JsonValueKind.Object } e || !e.TryGetProperty("log", out JsonElement log)
                || log.ValueKind != JsonValueKind.Array)
            {
                return lines;
            }

            foreach (JsonElement line in log.EnumerateArray())
            {
                string? message = Text(line, "message");
                if (message is not null)
                {
                    lines.Add(new KeyValuePair<string, string>(Text(line, "level") ?? "verbose", message));
                }
            }

            return lines;
        }
    }
}
