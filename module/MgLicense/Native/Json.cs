// The module's one JSON reader and writer: UTF-8 bytes from the engine into a small immutable tree (or, for a read's page,
// each object straight into its output model: JsonPage), and every document sent to it.
//
// The module depends on no managed package (docs in module/README.md): in Windows PowerShell 5.1 every module shares one
// AppDomain, and System.Text.Json with its closure (System.Memory, System.Buffers, …) is exactly what clashes with other
// modules there. The engine already owns JSON's hard parts (Graph's answers are checked and re-written by serde_json), so
// the module needs only this: a strict reader into JsonElement, JsonProperty and JsonValueKind, which keep the names and the
// subset of System.Text.Json's API the code uses, and JsonWriter, with Utf8JsonWriter's method names.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MgLicense.Native
{
    /// <summary>The kind of a JSON value, numbered as System.Text.Json numbers it.</summary>
    public enum JsonValueKind
    {
        Undefined = 0,
        Object = 1,
        Array = 2,
        String = 3,
        Number = 4,
        True = 5,
        False = 6,
        Null = 7,
    }

    /// <summary>Text that is not JSON, or JSON nested deeper than <see cref="Json.MaxDepth"/>.</summary>
    public sealed class JsonException : Exception
    {
        public JsonException(string message)
            : base(message)
        {
        }
    }

    /// <summary>One value of a parsed document; immutable, so it outlives nothing and can be kept anywhere.</summary>
    public readonly struct JsonElement
    {
        private readonly JsonNode? node;

        internal JsonElement(JsonNode node) => this.node = node;

        public JsonValueKind ValueKind => node?.Kind ?? JsonValueKind.Undefined;

        private JsonNode Node(JsonValueKind kind)
        {
            if (node is null || node.Kind != kind)
            {
                throw new InvalidOperationException($"The JSON value is {ValueKind}, not {kind}.");
            }

            return node;
        }

        /// <summary>A member of an object; the last one when the name is repeated, as System.Text.Json matches.</summary>
        public bool TryGetProperty(string name, out JsonElement value)
        {
            List<JsonProperty> members = Node(JsonValueKind.Object).Members!;
            for (int i = members.Count - 1; i >= 0; i--)
            {
                if (string.Equals(members[i].Name, name, StringComparison.Ordinal))
                {
                    value = members[i].Value;
                    return true;
                }
            }

            value = default;
            return false;
        }

        public JsonElement GetProperty(string name) =>
            TryGetProperty(name, out JsonElement value) ? value : throw new KeyNotFoundException($"The JSON object has no member '{name}'.");

        /// <summary>A string's text; a lone surrogate escaped in the JSON (<c>"\ud800"</c>) is kept as the UTF-16 unit it names.</summary>
        public string? GetString() => node?.Kind == JsonValueKind.Null ? null : Node(JsonValueKind.String).Text;

        public bool GetBoolean() => node?.Kind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidOperationException($"The JSON value is {ValueKind}, not a boolean."),
        };

        public bool TryGetInt64(out long value) =>
            long.TryParse(Node(JsonValueKind.Number).Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

        public bool TryGetInt32(out int value) =>
            int.TryParse(Node(JsonValueKind.Number).Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

        /// <summary>The number as a double; one too large for it is infinity (on every runtime: .NET Framework's parser would throw).</summary>
        public double GetDouble()
        {
            string text = Node(JsonValueKind.Number).Text!;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value
                : text.StartsWith("-", StringComparison.Ordinal) ? double.NegativeInfinity : double.PositiveInfinity;
        }

        /// <summary>An ISO 8601 date and time (<c>2026-01-02T03:04:05.1234567Z</c>, an offset, or none: local time).</summary>
        public bool TryGetDateTimeOffset(out DateTimeOffset value)
        {
            value = default;
            string text = Node(JsonValueKind.String).Text!;
            return Json.IsIsoDateTime(text)
                && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out value);
        }

        public int GetArrayLength() => Node(JsonValueKind.Array).Items!.Count;

        public IEnumerable<JsonElement> EnumerateArray() => Node(JsonValueKind.Array).Items!;

        public IEnumerable<JsonProperty> EnumerateObject() => Node(JsonValueKind.Object).Members!;

        /// <summary>The value as compact JSON (the engine writes compact JSON, so this is the text it sent).</summary>
        public string GetRawText()
        {
            if (node is null)
            {
                throw new InvalidOperationException("The JSON value is undefined.");
            }

            var writer = new JsonWriter();
            writer.WriteElement(this);
            return writer.ToString();
        }

        /// <summary>A number's literal, as written.</summary>
        internal string GetNumberText() => Node(JsonValueKind.Number).Text!;

        /// <summary>The tree is immutable: a clone is the element itself.</summary>
        public JsonElement Clone() => this;

        /// <summary>A string's text, or the JSON of any other value (as System.Text.Json does).</summary>
        public override string ToString() => node switch
        {
            null => string.Empty,
            { Kind: JsonValueKind.String } => node.Text!,
            _ => GetRawText(),
        };
    }

    /// <summary>One member of an object.</summary>
    public readonly struct JsonProperty
    {
        internal JsonProperty(string name, JsonElement value)
        {
            Name = name;
            Value = value;
        }

        public string Name { get; }

        public JsonElement Value { get; }

        public override string ToString() => Json.ToText(Name) + ":" + Value.GetRawText();
    }

    /// <summary>A parsed value: the text of a string or the literal of a number, the items of an array, the members of an object.</summary>
    internal sealed class JsonNode
    {
        internal static readonly JsonNode NullNode = new JsonNode(JsonValueKind.Null);
        internal static readonly JsonNode TrueNode = new JsonNode(JsonValueKind.True);
        internal static readonly JsonNode FalseNode = new JsonNode(JsonValueKind.False);

        internal JsonNode(JsonValueKind kind, string? text = null, List<JsonElement>? items = null, List<JsonProperty>? members = null)
        {
            Kind = kind;
            Text = text;
            Items = items;
            Members = members;
        }

        internal JsonValueKind Kind { get; }

        internal string? Text { get; }

        internal List<JsonElement>? Items { get; }

        internal List<JsonProperty>? Members { get; }
    }

    /// <summary>A strict RFC 8259 reader over UTF-8 bytes: no comments, no trailing commas, invalid UTF-8 refused.</summary>
    /// <summary>
    /// A read's page as the engine hands it over (docs/abi.md, "Reads"): its envelope (status, url, headers, count, log) as a
    /// tree, and its objects as the spans of their bytes, each read only when it is written: straight into its output model
    /// (<see cref="Item"/>) or, for the outputs built from a tree, into one (<see cref="Tree"/>).
    /// </summary>
    internal sealed class JsonPage
    {
        private readonly byte[] bytes;
        private readonly List<int> spans;
        private readonly JsonNode?[] seen;

        internal JsonPage(JsonElement envelope, byte[] bytes, List<int> spans, JsonNode?[] seen)
        {
            Envelope = envelope;
            this.bytes = bytes;
            this.spans = spans;
            this.seen = seen;
        }

        /// <summary>The page without its items.</summary>
        internal JsonElement Envelope { get; }

        internal int Count => spans.Count / 2;

        /// <summary>A reader over item <paramref name="index"/>, sharing the page's short strings with the other items.</summary>
        internal JsonReader Item(int index) => JsonReader.Over(bytes, spans[2 * index], spans[(2 * index) + 1], seen);

        /// <summary>Item <paramref name="index"/> as a tree.</summary>
        internal JsonElement Tree(int index)
        {
            JsonReader reader = Item(index);
            JsonElement item = reader.ReadValue();
            reader.End();
            return item;
        }
    }

    internal struct JsonReader
    {
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>Strings up to this many bytes (member names, states, SKU and group ids, dates) are looked up in <see cref="seen"/>.</summary>
        private const int ShortString = 40;

        private readonly byte[] bytes;
        private readonly int end;
        private int at;

        /// <summary>
        /// The short strings of this document by a hash of their bytes, with the node that holds each: a page of users repeats
        /// its member names and most of its values (license states, SKU ids, dates) in every object, and each repeat then
        /// costs a comparison instead of a string and a node.
        /// </summary>
        private readonly JsonNode?[] seen;

        /// <summary>Set while a page is read (<see cref="ReadPage"/>): where each of its items starts and how long it is.</summary>
        private List<int>? spans;

        /// <summary>How deep a streamed read (<see cref="StartObject"/>, <see cref="StartArray"/>) is.</summary>
        private int streamDepth;

        private JsonReader(byte[] bytes, int start, int length, JsonNode?[]? seen = null)
        {
            this.bytes = bytes;
            at = start;
            end = start + length;
            this.seen = seen ?? new JsonNode?[256];
            spans = null;
            streamDepth = 0;
        }

        internal static JsonElement Read(byte[] bytes, int start, int length)
        {
            var reader = new JsonReader(bytes, start, length);
            // A byte order mark is skipped, as System.Text.Json does.
            if (length >= 3 && bytes[start] == 0xEF && bytes[start + 1] == 0xBB && bytes[start + 2] == 0xBF)
            {
                reader.at += 3;
            }

            JsonElement value = reader.Value(0);
            reader.End();
            return value;
        }

        /// <summary>
        /// A read's page (docs/abi.md, "Reads"): its envelope as a tree, without <c>items</c>, and each item as the span of its
        /// bytes, read later by whoever writes it. The engine checked every item (serde_json) and that it is an object, so
        /// the items are only scanned for where they end here; each is read strictly when it is written.
        /// </summary>
        internal static JsonPage ReadPage(byte[] bytes, int start, int length)
        {
            var reader = new JsonReader(bytes, start, length) { spans = new List<int>() };
            if (length >= 3 && bytes[start] == 0xEF && bytes[start + 1] == 0xBB && bytes[start + 2] == 0xBF)
            {
                reader.at += 3;
            }

            JsonElement envelope = reader.Value(0);
            reader.End();
            return new JsonPage(envelope, bytes, reader.spans, reader.seen);
        }

        /// <summary>A reader over one item of a page, sharing the page's short strings.</summary>
        internal static JsonReader Over(byte[] bytes, int start, int length, JsonNode?[] seen) => new JsonReader(bytes, start, length, seen);

        /// <summary>The next value as a tree (an item's member the caller does not stream).</summary>
        internal JsonElement ReadValue() => Value(streamDepth);

        /// <summary>The first byte of the next value (after white space); 0 at the end.</summary>
        internal byte Peek()
        {
            SkipSpace();
            return at < end ? bytes[at] : (byte)0;
        }

        /// <summary>Where the reader is, to go back there when a value turns out not to be of the type streamed.</summary>
        internal (int At, int Depth) Mark() => (at, streamDepth);

        internal void Reset((int At, int Depth) mark)
        {
            at = mark.At;
            streamDepth = mark.Depth;
        }

        /// <summary>Enters the object at the next value; false when it is empty (and then already left).</summary>
        internal bool StartObject()
        {
            if (Peek() != '{')
            {
                throw Fail("an object should be here");
            }

            return Start((byte)'}');
        }

        /// <summary>Enters the array at the next value; false when it is empty (and then already left).</summary>
        internal bool StartArray()
        {
            if (Peek() != '[')
            {
                throw Fail("an array should be here");
            }

            return Start((byte)']');
        }

        private bool Start(byte close)
        {
            Deeper(++streamDepth);
            at++;
            SkipSpace();
            if (at < end && bytes[at] == close)
            {
                at++;
                streamDepth--;
                return false;
            }

            return true;
        }

        /// <summary>A member's name and its colon, before its value.</summary>
        internal string MemberName()
        {
            SkipSpace();
            if (at >= end || bytes[at] != '"')
            {
                throw Fail("a member name should be here");
            }

            string name = StringNode().Text!;
            SkipSpace();
            if (at >= end || bytes[at] != ':')
            {
                throw Fail("':' should follow a member name");
            }

            at++;
            return name;
        }

        /// <summary>After a member's value: true when another member follows, false when the object ends (and is left).</summary>
        internal bool NextMember() => Next((byte)'}', MemberSeparator);

        /// <summary>After an item: true when another item follows, false when the array ends (and is left).</summary>
        internal bool NextItem() => Next((byte)']', ItemSeparator);

        private bool Next(byte close, string error)
        {
            if (More(close, error))
            {
                return true;
            }

            streamDepth--;
            return false;
        }

        private const string MemberSeparator = "',' or '}' should follow a member";

        private const string ItemSeparator = "',' or ']' should follow an item";

        /// <summary>After a member or an item: true past a comma, false past <paramref name="close"/>; anything else is an error.</summary>
        private bool More(byte close, string error)
        {
            SkipSpace();
            if (at < end && bytes[at] == ',')
            {
                at++;
                return true;
            }

            if (at < end && bytes[at] == close)
            {
                at++;
                return false;
            }

            throw Fail(error);
        }

        /// <summary>The string or null at the next value (the caller peeked <c>"</c> or <c>n</c>); short strings are shared.</summary>
        internal string? ReadStringOrNull()
        {
            if (Peek() == 'n')
            {
                Literal("null");
                return null;
            }

            return StringNode().Text;
        }

        /// <summary>The true, false or null at the next value (the caller peeked <c>t</c>, <c>f</c> or <c>n</c>).</summary>
        internal bool? ReadBooleanOrNull()
        {
            switch (Peek())
            {
                case (byte)'t':
                    Literal("true");
                    return true;
                case (byte)'f':
                    Literal("false");
                    return false;
                default:
                    Literal("null");
                    return null;
            }
        }

        /// <summary>Nothing but white space may follow the value read.</summary>
        internal void End()
        {
            SkipSpace();
            if (at != end)
            {
                throw Fail("text after the JSON value");
            }
        }

        /// <summary>A page's <c>items</c>: the span of each object, found by matching its brackets outside strings.</summary>
        private void ItemSpans(int depth)
        {
            Deeper(depth + 1);
            SkipSpace();
            if (at >= end || bytes[at] != '[')
            {
                throw Fail("a page's items should be an array");
            }

            at++;
            SkipSpace();
            if (at < end && bytes[at] == ']')
            {
                at++;
                return;
            }

            do
            {
                SkipSpace();
                if (at >= end || bytes[at] != '{')
                {
                    throw Fail("a page's item should be an object");
                }

                int start = at;
                SkipObject();
                spans!.Add(start);
                spans.Add(at - start);
            }
            while (More((byte)']', ItemSeparator));
        }

        /// <summary>Moves past the object at <c>at</c>: brackets are counted outside strings, escapes skipped.</summary>
        private void SkipObject()
        {
            int open = 0;
            do
            {
                if (at >= end)
                {
                    throw Fail("an object is not closed");
                }

                byte b = bytes[at++];
                if (b == '"')
                {
                    // Strings are most of a page: the closing quote is searched for (Array.IndexOf is vectorized), and one
                    // preceded by an odd run of backslashes is escaped.
                    while (true)
                    {
                        int quote = at < end ? System.Array.IndexOf(bytes, (byte)'"', at, end - at) : -1;
                        if (quote < 0)
                        {
                            at = end;
                            throw Fail("a string is not closed");
                        }

                        int slashes = 0;
                        while (quote - slashes - 1 >= at && bytes[quote - slashes - 1] == '\\')
                        {
                            slashes++;
                        }

                        at = quote + 1;
                        if (slashes % 2 == 0)
                        {
                            break;
                        }
                    }
                }
                else if (b == '{' || b == '[')
                {
                    open++;
                }
                else if (b == '}' || b == ']')
                {
                    open--;
                }
            }
            while (open > 0);
        }

        private JsonException Fail(string what) => new JsonException($"Invalid JSON at byte {at}: {what}.");

        private void SkipSpace()
        {
            while (at < end && (bytes[at] == ' ' || bytes[at] == '\t' || bytes[at] == '\n' || bytes[at] == '\r'))
            {
                at++;
            }
        }

        private JsonElement Value(int depth)
        {
            SkipSpace();
            if (at >= end)
            {
                throw Fail("the text ends where a value should be");
            }

            switch (bytes[at])
            {
                case (byte)'{':
                    return Object(depth + 1);
                case (byte)'[':
                    return Array(depth + 1);
                case (byte)'"':
                    return new JsonElement(StringNode());
                case (byte)'t':
                    Literal("true");
                    return new JsonElement(JsonNode.TrueNode);
                case (byte)'f':
                    Literal("false");
                    return new JsonElement(JsonNode.FalseNode);
                case (byte)'n':
                    Literal("null");
                    return new JsonElement(JsonNode.NullNode);
                default:
                    return new JsonElement(new JsonNode(JsonValueKind.Number, Number()));
            }
        }

        private void Literal(string word)
        {
            if (end - at < word.Length)
            {
                throw Fail("an unknown literal");
            }

            for (int i = 0; i < word.Length; i++)
            {
                if (bytes[at + i] != word[i])
                {
                    throw Fail("an unknown literal");
                }
            }

            at += word.Length;
        }

        private void Deeper(int depth)
        {
            if (depth > Json.MaxDepth)
            {
                throw Fail($"nesting deeper than {Json.MaxDepth} levels");
            }
        }

        private JsonElement Object(int depth)
        {
            Deeper(depth);
            at++;
            var members = new List<JsonProperty>();
            SkipSpace();
            if (at < end && bytes[at] == '}')
            {
                at++;
                return new JsonElement(new JsonNode(JsonValueKind.Object, members: members));
            }

            do
            {
                string name = MemberName();
                if (depth == 1 && spans is not null && name == "items")
                {
                    ItemSpans(depth);
                }
                else
                {
                    members.Add(new JsonProperty(name, Value(depth)));
                }
            }
            while (More((byte)'}', MemberSeparator));

            return new JsonElement(new JsonNode(JsonValueKind.Object, members: members));
        }

        private JsonElement Array(int depth)
        {
            Deeper(depth);
            at++;
            var items = new List<JsonElement>();
            SkipSpace();
            if (at < end && bytes[at] == ']')
            {
                at++;
                return new JsonElement(new JsonNode(JsonValueKind.Array, items: items));
            }

            do
            {
                items.Add(Value(depth));
            }
            while (More((byte)']', ItemSeparator));

            return new JsonElement(new JsonNode(JsonValueKind.Array, items: items));
        }

        /// <summary>
        /// A string literal at <c>at</c> (on its opening quote) as a node; a short one without escapes that this document held
        /// before is the same node (nodes are immutable).
        /// </summary>
        private JsonNode StringNode()
        {
            int start = at + 1;
            int close = start;
            uint hash = 2166136261;
            while (close < end && close - start <= ShortString)
            {
                byte b = bytes[close];
                if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80)
                {
                    // Escapes, control characters (an error, reported by String()) and non-ASCII text are not shared.
                    break;
                }

                hash = (hash ^ b) * 16777619;
                close++;
            }

            if (close >= end || bytes[close] != '"' || close - start > ShortString)
            {
                return new JsonNode(JsonValueKind.String, String());
            }

            int slot = (int)(hash & (uint)(seen.Length - 1));
            if (seen[slot] is JsonNode known && Same(known.Text!, start, close - start))
            {
                at = close + 1;
                return known;
            }

            var node = new JsonNode(JsonValueKind.String, String());
            seen[slot] = node;
            return node;
        }

        /// <summary>Whether the ASCII bytes at <paramref name="start"/> are <paramref name="text"/>.</summary>
        private bool Same(string text, int start, int length)
        {
            if (text.Length != length)
            {
                return false;
            }

            for (int i = 0; i < length; i++)
            {
                if (bytes[start + i] != text[i])
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A string literal at <c>at</c> (on its opening quote), decoded; \uXXXX escapes become the UTF-16 units they name.</summary>
        private string String()
        {
            int start = ++at;
            StringBuilder? text = null;
            int run = start;
            while (true)
            {
                if (at >= end)
                {
                    throw Fail("a string is not closed");
                }

                byte b = bytes[at];
                if (b == '"')
                {
                    string tail = Decode(run, at - run);
                    at++;
                    return text is null ? tail : text.Append(tail).ToString();
                }

                if (b < 0x20)
                {
                    throw Fail("a control character in a string");
                }

                if (b != '\\')
                {
                    at++;
                    continue;
                }

                text ??= new StringBuilder(at - start + 16);
                text.Append(Decode(run, at - run));
                if (++at >= end)
                {
                    throw Fail("a string is not closed");
                }

                switch (bytes[at++])
                {
                    case (byte)'"': text.Append('"'); break;
                    case (byte)'\\': text.Append('\\'); break;
                    case (byte)'/': text.Append('/'); break;
                    case (byte)'b': text.Append('\b'); break;
                    case (byte)'f': text.Append('\f'); break;
                    case (byte)'n': text.Append('\n'); break;
                    case (byte)'r': text.Append('\r'); break;
                    case (byte)'t': text.Append('\t'); break;
                    case (byte)'u':
                        int unit = 0;
                        for (int i = 0; i < 4; i++, at++)
                        {
                            int digit = at >= end ? -1 : HexValue(bytes[at]);
                            if (digit < 0)
                            {
                                throw Fail("\\u needs four hexadecimal digits");
                            }

                            unit = (unit << 4) | digit;
                        }

                        text.Append((char)unit);
                        break;
                    default:
                        at--;
                        throw Fail("an unknown escape in a string");
                }

                run = at;
            }
        }

        private static int HexValue(byte b) =>
            b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;

        private string Decode(int start, int length)
        {
            if (length == 0)
            {
                return string.Empty;
            }

            try
            {
                return Strict.GetString(bytes, start, length);
            }
            catch (DecoderFallbackException)
            {
                throw Fail("a string is not UTF-8");
            }
        }

        /// <summary>A number literal, checked against JSON's grammar and kept as written.</summary>
        private string Number()
        {
            int start = at;
            if (at < end && bytes[at] == '-')
            {
                at++;
            }

            if (at < end && bytes[at] == '0')
            {
                at++;
            }
            else if (!Digits())
            {
                throw Fail(at < end && bytes[at] >= 0x20 && bytes[at] < 0x7f ? $"unexpected '{(char)bytes[at]}'" : "unexpected byte");
            }

            if (at < end && bytes[at] == '.')
            {
                at++;
                if (!Digits())
                {
                    throw Fail("a digit should follow '.'");
                }
            }

            if (at < end && (bytes[at] == 'e' || bytes[at] == 'E'))
            {
                at++;
                if (at < end && (bytes[at] == '+' || bytes[at] == '-'))
                {
                    at++;
                }

                if (!Digits())
                {
                    throw Fail("a digit should follow the exponent");
                }
            }

            return Encoding.ASCII.GetString(bytes, start, at - start);
        }

        private bool Digits()
        {
            int start = at;
            while (at < end && bytes[at] >= '0' && bytes[at] <= '9')
            {
                at++;
            }

            return at > start;
        }
    }

    /// <summary>
    /// Writes one compact JSON document, with Utf8JsonWriter's method names. Strings are written as UTF-8, escaping only what
    /// JSON requires (quote, backslash, control characters) and a lone UTF-16 surrogate (as <c>\ud800</c>, which has no UTF-8
    /// form; the engine refuses it where it matters). No secret is ever written here: secrets cross the C ABI as their own
    /// buffers (docs/abi.md, "Secrets").
    /// </summary>
    public sealed class JsonWriter
    {
        private readonly StringBuilder text = new StringBuilder(256);

        // One entry per open object or array: whether the next value needs a comma before it.
        private readonly Stack<bool> commas = new Stack<bool>();
        private bool afterName;

        public void WriteStartObject() => Open('{');

        public void WriteStartObject(string name)
        {
            WritePropertyName(name);
            Open('{');
        }

        public void WriteEndObject() => Close('}');

        public void WriteStartArray() => Open('[');

        public void WriteStartArray(string name)
        {
            WritePropertyName(name);
            Open('[');
        }

        public void WriteEndArray() => Close(']');

        public void WritePropertyName(string name)
        {
            Separate();
            Quote(name);
            text.Append(':');
            afterName = true;
        }

        public void WriteString(string name, string? value)
        {
            WritePropertyName(name);
            WriteStringValue(value);
        }

        public void WriteStringValue(string? value)
        {
            Separate();
            if (value is null)
            {
                text.Append("null");
            }
            else
            {
                Quote(value);
            }
        }

        public void WriteBoolean(string name, bool value)
        {
            WritePropertyName(name);
            WriteBooleanValue(value);
        }

        public void WriteBooleanValue(bool value)
        {
            Separate();
            text.Append(value ? "true" : "false");
        }

        public void WriteNullValue()
        {
            Separate();
            text.Append("null");
        }

        public void WriteNumber(string name, long value)
        {
            WritePropertyName(name);
            WriteNumberValue(value);
        }

        public void WriteNumber(string name, double value)
        {
            WritePropertyName(name);
            WriteNumberValue(value);
        }

        public void WriteNumberValue(long value)
        {
            Separate();
            text.Append(value.ToString(CultureInfo.InvariantCulture));
        }

        public void WriteNumberValue(ulong value)
        {
            Separate();
            text.Append(value.ToString(CultureInfo.InvariantCulture));
        }

        public void WriteNumberValue(decimal value)
        {
            Separate();
            text.Append(value.ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>A finite double, round-trippable; NaN and infinities have no JSON form and are refused.</summary>
        public void WriteNumberValue(double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value))
            {
                throw new ArgumentException($"{value.ToString(CultureInfo.InvariantCulture)} is not a JSON number.", nameof(value));
            }

            Separate();
            text.Append(value.ToString("R", CultureInfo.InvariantCulture));
        }

        /// <summary>Writes a parsed value back as compact JSON.</summary>
        public void WriteElement(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    WriteStartObject();
                    foreach (JsonProperty property in element.EnumerateObject())
                    {
                        WritePropertyName(property.Name);
                        WriteElement(property.Value);
                    }

                    WriteEndObject();
                    break;
                case JsonValueKind.Array:
                    WriteStartArray();
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        WriteElement(item);
                    }

                    WriteEndArray();
                    break;
                case JsonValueKind.String:
                    WriteStringValue(element.GetString());
                    break;
                case JsonValueKind.Number:
                    Separate();
                    text.Append(element.GetNumberText());
                    break;
                case JsonValueKind.True:
                    WriteBooleanValue(true);
                    break;
                case JsonValueKind.False:
                    WriteBooleanValue(false);
                    break;
                default:
                    WriteNullValue();
                    break;
            }
        }

        /// <summary>The document as UTF-8, the engine's encoding (always well-formed: lone surrogates were escaped).</summary>
        public byte[] ToArray() => Encoding.UTF8.GetBytes(text.ToString());

        public override string ToString() => text.ToString();

        private void Open(char bracket)
        {
            Separate();
            text.Append(bracket);
            commas.Push(false);
        }

        private void Close(char bracket)
        {
            commas.Pop();
            text.Append(bracket);
            afterName = false;
        }

        private void Separate()
        {
            if (afterName)
            {
                afterName = false;
                return;
            }

            if (commas.Count > 0)
            {
                if (commas.Peek())
                {
                    text.Append(',');
                }
                else
                {
                    commas.Pop();
                    commas.Push(true);
                }
            }
        }

        private void Quote(string value)
        {
            const string Hex = "0123456789abcdef";
            text.Append('"');
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                switch (c)
                {
                    case '"': text.Append("\\\""); continue;
                    case '\\': text.Append("\\\\"); continue;
                    case '\n': text.Append("\\n"); continue;
                    case '\r': text.Append("\\r"); continue;
                    case '\t': text.Append("\\t"); continue;
                    case '\b': text.Append("\\b"); continue;
                    case '\f': text.Append("\\f"); continue;
                }

                bool paired = char.IsHighSurrogate(c) ? i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
                    : char.IsLowSurrogate(c) ? i > 0 && char.IsHighSurrogate(value[i - 1])
                    : true;
                if (c < 0x20 || !paired)
                {
                    text.Append("\\u").Append(Hex[c >> 12]).Append(Hex[(c >> 8) & 0xf]).Append(Hex[(c >> 4) & 0xf]).Append(Hex[c & 0xf]);
                }
                else
                {
                    text.Append(c);
                }
            }

            text.Append('"');
        }
    }

    /// <summary>Small readers over the engine's JSON documents, so cmdlets never hand-walk JsonElement, and the writing of plain values.</summary>
    internal static class Json
    {
        /// <summary>
        /// Deepest nesting read. The engine accepts Graph answers nested up to 128 levels (serde_json's limit) and wraps them in its
        /// own document (a result's body, a page's items) a level or two deeper; the reader must not refuse answers the engine took,
        /// after the call was made.
        /// </summary>
        internal const int MaxDepth = 256;

        /// <summary>Parses JSON text.</summary>
        internal static JsonElement Parse(string json)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            return JsonReader.Read(bytes, 0, bytes.Length);
        }

        /// <summary>Parses UTF-8 JSON (the engine's own encoding).</summary>
        internal static JsonElement Parse(byte[] utf8Json) => JsonReader.Read(utf8Json, 0, utf8Json.Length);

        /// <summary>Parses <paramref name="length"/> bytes of UTF-8 JSON from <paramref name="start"/>.</summary>
        internal static JsonElement Parse(byte[] utf8Json, int start, int length) => JsonReader.Read(utf8Json, start, length);

        /// <summary>A read's page: its envelope read, its items found and left to be read one by one (<see cref="JsonPage"/>).</summary>
        internal static JsonPage ParsePage(byte[] utf8Json) => JsonReader.ReadPage(utf8Json, 0, utf8Json.Length);

        /// <summary>A JSON string's text (lone surrogates kept as written), or null for any other value.</summary>
        internal static string? String(JsonElement element) => element.ValueKind == JsonValueKind.String ? element.GetString() : null;

        /// <summary>A property's name, decoded as <see cref="String"/> decodes values.</summary>
        internal static string Name(JsonProperty property) => property.Name;

        /// <summary>Whether a text is an ISO 8601 date and time as Graph writes them: yyyy-MM-ddTHH:mm[:ss[.f…]][Z|±HH:mm].</summary>
        internal static bool IsIsoDateTime(string text)
        {
            int i = 0;
            bool Digits(int count)
            {
                for (int n = 0; n < count; n++, i++)
                {
                    if (i >= text.Length || text[i] < '0' || text[i] > '9')
                    {
                        return false;
                    }
                }

                return true;
            }

            bool Char(char c) => i < text.Length && text[i++] == c;

            if (!(Digits(4) && Char('-') && Digits(2) && Char('-') && Digits(2) && Char('T') && Digits(2) && Char(':') && Digits(2)))
            {
                return false;
            }

            if (i < text.Length && text[i] == ':')
            {
                i++;
                if (!Digits(2))
                {
                    return false;
                }

                if (i < text.Length && text[i] == '.')
                {
                    i++;
                    int start = i;
                    while (i < text.Length && text[i] >= '0' && text[i] <= '9')
                    {
                        i++;
                    }

                    if (i == start || i - start > 7)
                    {
                        return false;
                    }
                }
            }

            if (i == text.Length)
            {
                return true;
            }

            if (text[i] == 'Z')
            {
                return i + 1 == text.Length;
            }

            if (text[i] != '+' && text[i] != '-')
            {
                return false;
            }

            i++;
            return Digits(2) && Char(':') && Digits(2) && i == text.Length;
        }

        /// <summary>A JSON scalar: text, boolean, or a number of one of the types .NET reads them into.</summary>
        internal static void WriteScalar(JsonWriter writer, object value)
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
        /// keys, and lists of these.
        /// </summary>
        internal static byte[] ToUtf8(object? value)
        {
            var writer = new JsonWriter();
            Write(writer, value);
            return writer.ToArray();
        }

        /// <summary>As <see cref="ToUtf8"/>, as text.</summary>
        internal static string ToText(object? value)
        {
            var writer = new JsonWriter();
            Write(writer, value);
            return writer.ToString();
        }

        private static void Write(JsonWriter writer, object? value)
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
        internal static readonly JsonElement Null = new JsonElement(JsonNode.NullNode);

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
