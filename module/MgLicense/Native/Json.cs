// Small readers over the engine's JSON documents, so cmdlets never hand-walk JsonElement.
using System.Collections.Generic;
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
