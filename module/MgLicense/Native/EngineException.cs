// A non-OK status from the engine, carrying the per-call error detail so cmdlets can build the record a user expects.
using System;
using System.Collections.Generic;

namespace MgLicense.Native
{
    public sealed class EngineException : Exception
    {
        private EngineException(string message, MglStatus status, string kind, JsonElement? detail)
            : base(message)
        {
            Status = status;
            Kind = kind;
            Detail = detail;
        }

        internal MglStatus Status { get; }

        /// <summary>The detail's <c>kind</c>: graph, notConnected, invalidArgument, cancelled, … (docs/abi.md).</summary>
        public string Kind { get; }

        /// <summary>The whole error-detail document, for fields a caller wants that have no property here.</summary>
        public JsonElement? Detail { get; }

        /// <summary>HTTP status Graph answered with (graph kind only).</summary>
        public int? HttpStatus => Number("status");

        /// <summary>Graph's error code, e.g. Request_ResourceNotFound (graph kind only).</summary>
        public string? Code => Text("code");

        /// <summary>Graph's own message without the "[code] : " prefix (graph kind only).</summary>
        public string? GraphMessage => Text("graphMessage");

        public string? Date => Text("date");

        public string? RequestId => Text("requestId");

        /// <summary>The error's details as the official cmdlets show them, composed by the engine (graph kind only).</summary>
        public string? Details => Text("details");

        /// <summary>Response headers in the order Graph sent them (graph kind only).</summary>
        public IReadOnlyList<KeyValuePair<string, string[]>> Headers => Json.ReadHeaders(Detail, "headers");

        internal static EngineException From(MglStatus status, string? detailJson)
        {
            JsonElement? detail = null;
            if (!string.IsNullOrEmpty(detailJson))
            {
                try
                {
                    detail = Json.Parse(detailJson!);
                }
                catch (JsonException)
                {
                    // A detail we cannot read still has to surface; the status says enough.
                }
            }

            // Every error detail names its kind (docs/abi.md); only a library that broke the contract gives none.
            string kind = Json.Text(detail, "kind") ?? "unknown";
            string message = Json.Text(detail, "message")
                ?? $"The MgLicense engine returned {status} ({(uint)status}) without an error detail.";
            return new EngineException(message, status, kind, detail);
        }

        /// <summary>
        /// The error for an answer the engine handed over that this module cannot read: the call was made, so it is reported
        /// for its input as an answer that could not be read (a transport error), never as an exception of the JSON reader.
        /// </summary>
        internal static EngineException Unreadable(Exception reason) =>
            new EngineException(
                $"The answer to this call could not be read ({reason.Message.TrimEnd('.')}); the request was sent, so check its effect before repeating it.",
                MglStatus.TransportError, "transport", null);

        /// <summary>
        /// Which of the request's own values the error is about when another input need not share it (docs/abi.md, "Error
        /// detail": "userId"), else null.
        /// </summary>
        public string? Input => Text("input");

        private string? Text(string name) => Json.Text(Detail, name);

        private int? Number(string name) =>
            Detail is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty(name, out JsonElement v)
                && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : null;
    }
}
