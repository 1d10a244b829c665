// The types of Invoke-MgGraphRequest's parameters and errors, as the official Microsoft.Graph.Authentication module names them.
using System;
using System.Collections.Generic;
using System.Net.Http;

namespace MgLicense.Models
{
    /// <summary>The methods Invoke-MgGraphRequest sends.</summary>
    public enum GraphRequestMethod
    {
        GET,
        POST,
        PUT,
        PATCH,
        DELETE,
    }

    /// <summary>What Invoke-MgGraphRequest writes for an answer.</summary>
    public enum OutputType
    {
        /// <summary>JSON as hashtables (case-insensitive keys) and arrays.</summary>
        HashTable,

        /// <summary>JSON as PSCustomObjects and arrays.</summary>
        PSObject,

        /// <summary>The answer itself: status, headers and content.</summary>
        HttpResponseMessage,

        /// <summary>The body's JSON text as it came.</summary>
        Json,
    }

    /// <summary>
    /// Headers and a user agent that later Invoke-MgGraphRequest calls reuse: -SessionVariable stores one, -GraphRequestSession
    /// passes it back.
    /// </summary>
    public sealed class GraphRequestSession
    {
        /// <summary>Headers sent with every call of the session; a call's -Headers add to them and win.</summary>
        public Dictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The User-Agent sent, when set; else MgLicense's.</summary>
        public string? UserAgent { get; set; }
    }

    /// <summary>Graph answered with a status outside 2xx; <see cref="Response"/> is the answer.</summary>
    public sealed class HttpResponseException : HttpRequestException
    {
        public HttpResponseException(string message, HttpResponseMessage response)
            : base(message)
        {
            Response = response;
        }

        public HttpResponseMessage Response { get; }
    }
}
