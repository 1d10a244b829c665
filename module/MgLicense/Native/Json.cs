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
        /// <summary>Parses and detaches the root, so no JsonDocument has to be kept alive by the caller.</summary>
        internal static JsonElement Parse(string json)
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }

        /// <summary>Parses UTF-8 JSON (the engine's own encoding) and detaches the root.</summary>
        internal static JsonElement Parse(System.ReadOnlySpan<byte> utf8Json)
        {
            var reader = new Utf8JsonReader(utf8Json);
            return JsonElement.ParseValue(ref reader);
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
                && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

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
                        values.Add(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText());
                    }
                }
                else if (header.Value.ValueKind == JsonValueKind.String)
                {
                    values.Add(header.Value.GetString()!);
                }

                headers.Add(new KeyValuePair<string, string[]>(header.Name, values.ToArray()));
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
