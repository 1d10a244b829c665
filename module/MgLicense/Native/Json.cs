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
using System.Management.Automation;
using System.Runtime.CompilerServices;
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

        internal JsonNode? Tree => node;

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
            JsonProperty[] members = Node(JsonValueKind.Object).Members!;
            for (int i = members.Length - 1; i >= 0; i--)
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

        public int GetArrayLength() => Node(JsonValueKind.Array).Items!.Length;

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

        /// <summary>An object or array read already checked, whose members or items are read when first asked for.</summary>
        private readonly JsonReader.Deferred? deferred;

        private JsonElement[]? items;

        private JsonProperty[]? members;

        internal JsonNode(JsonValueKind kind, string? text = null, JsonElement[]? items = null, JsonProperty[]? members = null)
        {
            Kind = kind;
            Text = text;
            this.items = items;
            this.members = members;
        }

        internal JsonNode(JsonValueKind kind, JsonReader.Deferred deferred)
        {
            Kind = kind;
            this.deferred = deferred;
        }

        internal JsonValueKind Kind { get; }

        internal string? Text { get; }

        /// <summary>An array's items, exactly as many as it has.</summary>
        internal JsonElement[]? Items => items ??= deferred?.Read().items;

        /// <summary>An object's members in their order, exactly as many as it has.</summary>
        internal JsonProperty[]? Members => members ??= deferred?.Read().members;
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
        /// The short strings read so far by a hash of their bytes, with the node that holds each: a page of users repeats
        /// its member names and most of its values (license states, SKU ids, dates) in every object, and each repeat then
        /// costs a comparison instead of a string and a node.
        /// </summary>
        private readonly JsonNode?[] seen;

        /// <summary>
        /// The short strings of the documents this thread read last, for <see cref="Read"/>: every answer of a pipeline repeats
        /// its member names and most header names and values ("content-type", "no-store", "4.0"), and the table itself would
        /// otherwise be 2 KB of every answer. Nodes are immutable and every hit is compared byte for byte, so a string of an
        /// earlier document is as good as this one's; a page keeps a table of its own, since its items may be read on another
        /// thread.
        /// </summary>
        [ThreadStatic]
        private static JsonNode?[]? threadSeen;

        /// <summary>Set while a page is read (<see cref="ReadPage"/>): where each of its items starts and how long it is.</summary>
        private List<int>? spans;

        /// <summary>How deep a streamed read (<see cref="StartObject"/>, <see cref="StartArray"/>) is.</summary>
        private int streamDepth;

        /// <summary>
        /// Set for a document that owns its bytes (<see cref="Read"/> with <c>defer</c>): an object or array inside it is checked
        /// as it is met, and read into members or items only when they are asked for. An engine answer carries more than its
        /// reader uses (the response headers, wanted only for -ResponseHeadersVariable; the url), and what is never asked for
        /// then costs no strings, nodes or arrays.
        /// </summary>
        private bool defer;

        /// <summary>An object or array of a document's bytes, checked, at the depth it was met.</summary>
        internal sealed class Deferred
        {
            private readonly byte[] bytes;
            private readonly int start;
            private readonly int length;
            private readonly int depth;

            internal Deferred(byte[] bytes, int start, int length, int depth)
            {
                this.bytes = bytes;
                this.start = start;
                this.length = length;
                this.depth = depth;
            }

            /// <summary>The object or array with its members or items; those that are objects or arrays are deferred in turn.</summary>
            internal JsonNode Read()
            {
                var reader = new JsonReader(bytes, start, length, threadSeen ??= new JsonNode?[256]) { defer = true };
                JsonElement value = bytes[start] == '{' ? reader.Object(depth + 1) : reader.Array(depth + 1);
                return value.Tree!;
            }
        }

        private JsonReader(byte[] bytes, int start, int length, JsonNode?[]? seen = null)
        {
            this.bytes = bytes;
            at = start;
            end = start + length;
            this.seen = seen ?? new JsonNode?[256];
            spans = null;
            streamDepth = 0;
        }

        /// <summary>
        /// One document. With <paramref name="defer"/>, the caller hands <paramref name="bytes"/> over (they must not change
        /// afterwards): objects and arrays inside the document are checked now and read when first asked for.
        /// </summary>
        [MethodImpl(HotPath.Optimized)]
        internal static JsonElement Read(byte[] bytes, int start, int length, bool defer = false)
        {
            var reader = new JsonReader(bytes, start, length, threadSeen ??= new JsonNode?[256]) { defer = defer };
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
        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
        internal static JsonReader Over(byte[] bytes, int start, int length, JsonNode?[] seen) => new JsonReader(bytes, start, length, seen);

        /// <summary>The next value as a tree (an item's member the caller does not stream).</summary>
        [MethodImpl(HotPath.Optimized)]
        internal JsonElement ReadValue() => Value(streamDepth);

        /// <summary>The first byte of the next value (after white space); 0 at the end.</summary>
        [MethodImpl(HotPath.Optimized)]
        internal byte Peek()
        {
            SkipSpace();
            return at < end ? bytes[at] : (byte)0;
        }

        /// <summary>Where the reader is, to go back there when a value turns out not to be of the type streamed.</summary>
        [MethodImpl(HotPath.Optimized)]
        internal (int At, int Depth) Mark() => (at, streamDepth);

        [MethodImpl(HotPath.Optimized)]
        internal void Reset((int At, int Depth) mark)
        {
            at = mark.At;
            streamDepth = mark.Depth;
        }

        /// <summary>Enters the object at the next value; false when it is empty (and then already left).</summary>
        [MethodImpl(HotPath.Optimized)]
        internal bool StartObject()
        {
            if (Peek() != '{')
            {
                throw Fail("an object should be here");
            }

            return Start((byte)'}');
        }

        /// <summary>Enters the array at the next value; false when it is empty (and then already left).</summary>
        [MethodImpl(HotPath.Optimized)]
        internal bool StartArray()
        {
            if (Peek() != '[')
            {
                throw Fail("an array should be here");
            }

            return Start((byte)']');
        }

        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
        internal string MemberName() => Name(build: true)!;

        /// <summary>A member's name and its colon; the name read when <paramref name="build"/>, else only checked (null).</summary>
        [MethodImpl(HotPath.Optimized)]
        private string? Name(bool build)
        {
            SkipSpace();
            if (at >= end || bytes[at] != '"')
            {
                throw Fail("a member name should be here");
            }

            string? name = build ? StringNode().Text! : Scan(build: false);
            SkipSpace();
            if (at >= end || bytes[at] != ':')
            {
                throw Fail("':' should follow a member name");
            }

            at++;
            return name;
        }

        /// <summary>After a member's value: true when another member follows, false when the object ends (and is left).</summary>
        [MethodImpl(HotPath.Optimized)]
        internal bool NextMember() => Next((byte)'}', MemberSeparator);

        /// <summary>After an item: true when another item follows, false when the array ends (and is left).</summary>
        [MethodImpl(HotPath.Optimized)]
        internal bool NextItem() => Next((byte)']', ItemSeparator);

        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
        internal void End()
        {
            SkipSpace();
            if (at != end)
            {
                throw Fail("text after the JSON value");
            }
        }

        /// <summary>A page's <c>items</c>: the span of each object, found by matching its brackets outside strings.</summary>
        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
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

        [MethodImpl(HotPath.Optimized)]
        private JsonException Fail(string what) => new JsonException($"Invalid JSON at byte {at}: {what}.");

        [MethodImpl(HotPath.Optimized)]
        private void SkipSpace()
        {
            while (at < end && (bytes[at] == ' ' || bytes[at] == '\t' || bytes[at] == '\n' || bytes[at] == '\r'))
            {
                at++;
            }
        }

        /// <summary>The first byte of the next value, after white space; the text may not end there.</summary>
        [MethodImpl(HotPath.Optimized)]
        private byte ValueStart()
        {
            SkipSpace();
            if (at >= end)
            {
                throw Fail("the text ends where a value should be");
            }

            return bytes[at];
        }

        [MethodImpl(HotPath.Optimized)]
        private JsonElement Value(int depth)
        {
            switch (ValueStart())
            {
                case (byte)'{':
                    return defer && depth > 0 ? Later(JsonValueKind.Object, depth) : Object(depth + 1);
                case (byte)'[':
                    return defer && depth > 0 ? Later(JsonValueKind.Array, depth) : Array(depth + 1);
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

        [MethodImpl(HotPath.Optimized)]
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

        /// <summary>The object or array at <c>at</c>, checked now and read when asked for.</summary>
        [MethodImpl(HotPath.Optimized)]
        private JsonElement Later(JsonValueKind kind, int depth)
        {
            int start = at;
            Check(depth);
            return new JsonElement(new JsonNode(kind, new Deferred(bytes, start, at - start, depth)));
        }

        /// <summary>Moves past the next value, checked as <see cref="Value"/> reads it (the same errors at the same bytes), keeping nothing.</summary>
        [MethodImpl(HotPath.Optimized)]
        private void Check(int depth)
        {
            switch (ValueStart())
            {
                case (byte)'{':
                    if (Enter(++depth, (byte)'}'))
                    {
                        do
                        {
                            Name(build: false);
                            Check(depth);
                        }
                        while (More((byte)'}', MemberSeparator));
                    }

                    return;
                case (byte)'[':
                    if (Enter(++depth, (byte)']'))
                    {
                        do
                        {
                            Check(depth);
                        }
                        while (More((byte)']', ItemSeparator));
                    }

                    return;
                case (byte)'"':
                    Scan(build: false);
                    return;
                case (byte)'t':
                    Literal("true");
                    return;
                case (byte)'f':
                    Literal("false");
                    return;
                case (byte)'n':
                    Literal("null");
                    return;
                default:
                    CheckNumber();
                    return;
            }
        }

        [MethodImpl(HotPath.Optimized)]
        private void Deeper(int depth)
        {
            if (depth > Json.MaxDepth)
            {
                throw Fail($"nesting deeper than {Json.MaxDepth} levels");
            }
        }

        /// <summary>
        /// The members and items of the objects and arrays this thread is reading, nested ones after their parent's: each
        /// object or array then keeps an array of exactly its own, instead of a list with room to grow (an answer's headers are
        /// a dozen arrays of one string each).
        /// </summary>
        [ThreadStatic]
        private static List<JsonProperty>? pendingMembers;

        [ThreadStatic]
        private static List<JsonElement>? pendingItems;

        /// <summary>Past the bracket at <c>at</c> of an object or array at <paramref name="depth"/>: false when <paramref name="close"/> ends it at once (and it is left).</summary>
        [MethodImpl(HotPath.Optimized)]
        private bool Enter(int depth, byte close)
        {
            Deeper(depth);
            at++;
            SkipSpace();
            if (at < end && bytes[at] == close)
            {
                at++;
                return false;
            }

            return true;
        }

        [MethodImpl(HotPath.Optimized)]
        private JsonElement Object(int depth)
        {
            if (!Enter(depth, (byte)'}'))
            {
                return new JsonElement(new JsonNode(JsonValueKind.Object, members: System.Array.Empty<JsonProperty>()));
            }

            List<JsonProperty> members = pendingMembers ??= new List<JsonProperty>();
            int first = members.Count;
            try
            {
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

                return new JsonElement(new JsonNode(JsonValueKind.Object, members: Taken(members, first)));
            }
            finally
            {
                Drop(ref pendingMembers, members, first);
            }
        }

        [MethodImpl(HotPath.Optimized)]
        private JsonElement Array(int depth)
        {
            if (!Enter(depth, (byte)']'))
            {
                return new JsonElement(new JsonNode(JsonValueKind.Array, items: System.Array.Empty<JsonElement>()));
            }

            List<JsonElement> items = pendingItems ??= new List<JsonElement>();
            int first = items.Count;
            try
            {
                do
                {
                    items.Add(Value(depth));
                }
                while (More((byte)']', ItemSeparator));

                return new JsonElement(new JsonNode(JsonValueKind.Array, items: Taken(items, first)));
            }
            finally
            {
                Drop(ref pendingItems, items, first);
            }
        }

        /// <summary>Drops the values pending from <paramref name="first"/> on; a list grown past a few thousand is let go once empty.</summary>
        [MethodImpl(HotPath.Optimized)]
        private static void Drop<T>(ref List<T>? shared, List<T> pending, int first)
        {
            pending.RemoveRange(first, pending.Count - first);
            if (first == 0 && pending.Capacity > 4096 && ReferenceEquals(shared, pending))
            {
                shared = null;
            }
        }

        /// <summary>The values pending from <paramref name="first"/> on, as an array of their own (the caller then drops them).</summary>
        [MethodImpl(HotPath.Optimized)]
        private static T[] Taken<T>(List<T> pending, int first)
        {
            var taken = new T[pending.Count - first];
            pending.CopyTo(first, taken, 0, taken.Length);
            return taken;
        }

        /// <summary>
        /// A string literal at <c>at</c> (on its opening quote) as a node; a short one without escapes that this document held
        /// before is the same node (nodes are immutable).
        /// </summary>
        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
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
        [MethodImpl(HotPath.Optimized)]
        private string String() => Scan(build: true)!;

        /// <summary>
        /// The string literal at <c>at</c>, checked as <see cref="String"/> reads it; decoded when <paramref name="build"/>,
        /// else only checked (null).
        /// </summary>
        [MethodImpl(HotPath.Optimized)]
        private string? Scan(bool build)
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
                    string? tail = Decode(run, at - run, build);
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

                if (build)
                {
                    text ??= new StringBuilder(at - start + 16);
                }

                string? head = Decode(run, at - run, build);
                text?.Append(head);
                if (++at >= end)
                {
                    throw Fail("a string is not closed");
                }

                switch (bytes[at++])
                {
                    case (byte)'"': text?.Append('"'); break;
                    case (byte)'\\': text?.Append('\\'); break;
                    case (byte)'/': text?.Append('/'); break;
                    case (byte)'b': text?.Append('\b'); break;
                    case (byte)'f': text?.Append('\f'); break;
                    case (byte)'n': text?.Append('\n'); break;
                    case (byte)'r': text?.Append('\r'); break;
                    case (byte)'t': text?.Append('\t'); break;
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

                        text?.Append((char)unit);
                        break;
                    default:
                        at--;
                        throw Fail("an unknown escape in a string");
                }

                run = at;
            }
        }

        [MethodImpl(HotPath.Optimized)]
        private static int HexValue(byte b) =>
            b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;

        /// <summary>The UTF-8 bytes as text, or when not <paramref name="build"/> only checked (null); not UTF-8 is an error.</summary>
        [MethodImpl(HotPath.Optimized)]
        private string? Decode(int start, int length, bool build)
        {
            if (length == 0)
            {
                return build ? string.Empty : null;
            }

            try
            {
                if (!build)
                {
                    Strict.GetCharCount(bytes, start, length);
                    return null;
                }

                return Strict.GetString(bytes, start, length);
            }
            catch (DecoderFallbackException)
            {
                throw Fail("a string is not UTF-8");
            }
        }

        /// <summary>A number literal, checked against JSON's grammar and kept as written.</summary>
        [MethodImpl(HotPath.Optimized)]
        private string Number()
        {
            int start = at;
            CheckNumber();
            return Encoding.ASCII.GetString(bytes, start, at - start);
        }

        /// <summary>Moves past a number literal, checked against JSON's grammar.</summary>
        [MethodImpl(HotPath.Optimized)]
        private void CheckNumber()
        {
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
        }

        [MethodImpl(HotPath.Optimized)]
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

    /// <summary>Which objects, other than dictionaries and lists, <see cref="Json.WriteValue"/> writes, and how.</summary>
    internal enum JsonObjects
    {
        /// <summary>
        /// None: plain .NET values only (the module's own documents). An object is refused with
        /// <see cref="JsonValueRules.NoJsonForm"/>, and a PSObject is not looked into.
        /// </summary>
        None,

        /// <summary>Only a custom object (<c>[pscustomobject]</c>): each of its properties as named, nulls included.</summary>
        Custom,

        /// <summary>
        /// Any object, as ConvertTo-Json writes one: its readable properties as named, nulls included; of a custom object, only
        /// its note and script properties.
        /// </summary>
        Properties,

        /// <summary>
        /// Any object as a Graph model: its readable non-null properties under camelCase names, then the entries of its
        /// <see cref="JsonValueRules.AdditionalProperties"/>, each name once.
        /// </summary>
        Model,
    }

    /// <summary>
    /// The rules by which <see cref="Json.WriteValue"/> writes a value where one document wants it. The module writes values in
    /// four places, each the way the official part it stands for does: <see cref="Engine"/> for its own documents,
    /// ToJsonString() (Models/ModelJson.cs), Invoke-MgGraphRequest -Body (Commands/GraphRequestContent.cs), and the write
    /// cmdlets' -BodyParameter and -AdditionalProperties (Commands/GraphWriteCmdlet.cs). Everything not here is written the
    /// same way in all of them.
    /// </summary>
    internal sealed class JsonValueRules
    {
        /// <summary>The module's own documents for the engine: plain values it built itself; anything else is a mistake in the module.</summary>
        internal static readonly JsonValueRules Engine = new JsonValueRules
        {
            TextKeysOnly = true,
            NonFinite = (where, value) => $"A {value.GetType()} cannot be written for the engine.",
            NoJsonForm = (where, value) => $"A {value.GetType()} cannot be written for the engine.",
        };

        /// <summary>
        /// How many containers deep a value may be. A deeper value is refused with <see cref="TooDeep"/>'s message (naming where
        /// it is); with no <see cref="TooDeep"/>, a dictionary, list or object whose items would be deeper is written as null.
        /// </summary>
        internal int MaxDepth { get; set; } = int.MaxValue;

        internal Func<string, string>? TooDeep { get; set; }

        /// <summary>Dates in UTC to the second, as Graph writes them (<c>2026-01-02T03:04:05Z</c>); else ISO 8601 round-trip ("o").</summary>
        internal bool UtcDates { get; set; }

        /// <summary>The message (where, number) that refuses NaN and the infinities; with none, they are written as null.</summary>
        internal Func<string, object, string>? NonFinite { get; set; }

        /// <summary>Types written as their invariant text, as characters, GUIDs and enums always are (TimeSpan, Uri).</summary>
        internal Type[] Text { get; set; } = Type.EmptyTypes;

        /// <summary>A switch as a boolean; else it is an object like any other (<c>{"isPresent": true}</c>).</summary>
        internal bool SwitchAsBoolean { get; set; }

        /// <summary>A dictionary's keys must be text (a key that is not is refused, naming where); else any key is written as its text.</summary>
        internal bool TextKeysOnly { get; set; }

        /// <summary>Which objects are written, and how.</summary>
        internal JsonObjects Objects { get; set; }

        /// <summary>The property of a <see cref="JsonObjects.Model"/> object whose dictionary holds its further members.</summary>
        internal string? AdditionalProperties { get; set; }

        /// <summary>The message (where, value) that refuses a value with no JSON form under these rules.</summary>
        internal Func<string, object, string> NoJsonForm { get; set; } = (where, value) => $"{where} is a {value.GetType()}, which has no JSON form.";

        /// <summary>Where a nested value is, as an error names it, grows with the path to it (<c>-BodyParameter.a[1].b</c>); else it stays as given.</summary>
        internal bool NamesPath { get; set; }
    }

    /// <summary>Small readers over the engine's JSON documents, so cmdlets never hand-walk JsonElement, and the one writer of PowerShell values.</summary>
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

        /// <summary>
        /// Parses UTF-8 JSON (the engine's own encoding) that the caller hands over: the document keeps the array, and reads
        /// the objects and arrays inside it only when they are asked for (all of it is checked now).
        /// </summary>
        internal static JsonElement Parse(byte[] utf8Json) => JsonReader.Read(utf8Json, 0, utf8Json.Length, defer: true);

        /// <summary>Parses <paramref name="length"/> bytes of UTF-8 JSON from <paramref name="start"/>.</summary>
        internal static JsonElement Parse(byte[] utf8Json, int start, int length) => JsonReader.Read(utf8Json, start, length);

        /// <summary>A read's page: its envelope read, its items found and left to be read one by one (<see cref="JsonPage"/>).</summary>
        internal static JsonPage ParsePage(byte[] utf8Json) => JsonReader.ReadPage(utf8Json, 0, utf8Json.Length);

        /// <summary>As <see cref="ParsePage(byte[])"/>, over the first <paramref name="length"/> bytes of a reused buffer.</summary>
        internal static JsonPage ParsePage(byte[] buffer, int length) => JsonReader.ReadPage(buffer, 0, length);

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

        /// <summary>
        /// A JSON scalar (an identity key for the engine): text, boolean, or a number of one of the types .NET reads them into,
        /// written as <see cref="WriteValue"/> writes it in the engine's documents; any other value is refused.
        /// </summary>
        internal static void WriteScalar(JsonWriter writer, object value)
        {
            if (value is not (string or bool or long or ulong or decimal or double))
            {
                throw new ArgumentException($"A {value.GetType()} is not a JSON scalar.", nameof(value));
            }

            WriteValue(writer, value, JsonValueRules.Engine, "a document for the engine");
        }

        /// <summary>
        /// Writes a document for the engine from plain values: null, strings, booleans, whole numbers, dictionaries with string
        /// keys, and lists of these.
        /// </summary>
        internal static byte[] ToUtf8(object? value)
        {
            var writer = new JsonWriter();
            WriteValue(writer, value, JsonValueRules.Engine, "a document for the engine");
            return writer.ToArray();
        }

        /// <summary>As <see cref="ToUtf8"/>, as text.</summary>
        internal static string ToText(object? value)
        {
            var writer = new JsonWriter();
            WriteValue(writer, value, JsonValueRules.Engine, "a document for the engine");
            return writer.ToString();
        }

        /// <summary>
        /// Writes a value as JSON by the <paramref name="rules"/> of the document it goes into (<see cref="JsonValueRules"/>): a
        /// PSObject as the value it wraps (a custom object as itself), text, booleans, numbers, dates, characters, GUIDs and enums
        /// as text, dictionaries as objects, lists as arrays, and other objects by their properties or refused. An error is an
        /// <see cref="ArgumentException"/> that names <paramref name="where"/>.
        /// </summary>
        internal static void WriteValue(JsonWriter writer, object? value, JsonValueRules rules, string where, int depth = 0)
        {
            if (depth > rules.MaxDepth && rules.TooDeep is not null)
            {
                throw new ArgumentException(rules.TooDeep(where));
            }

            bool plainOnly = rules.Objects == JsonObjects.None;
            object? plain = plainOnly ? value : PowerShellValues.Unwrapped(value);
            switch (plain)
            {
                case null:
                    writer.WriteNullValue();
                    return;
                case string text:
                    writer.WriteStringValue(text);
                    return;
                case bool flag:
                    writer.WriteBooleanValue(flag);
                    return;
                case DateTime moment:
                    writer.WriteStringValue(rules.UtcDates
                        ? moment.ToUniversalTime().ToString(UtcSeconds, CultureInfo.InvariantCulture)
                        : moment.ToString("o", CultureInfo.InvariantCulture));
                    return;
                case DateTimeOffset instant:
                    writer.WriteStringValue(rules.UtcDates
                        ? instant.UtcDateTime.ToString(UtcSeconds, CultureInfo.InvariantCulture)
                        : instant.ToString("o", CultureInfo.InvariantCulture));
                    return;
                case char or Guid or Enum:
                    writer.WriteStringValue(Convert.ToString(plain, CultureInfo.InvariantCulture));
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
                    if (!double.IsNaN(real) && !double.IsInfinity(real))
                    {
                        writer.WriteNumberValue(real);
                    }
                    else if (rules.NonFinite is null)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        throw new ArgumentException(rules.NonFinite(where, plain));
                    }

                    return;
            }

            if (rules.SwitchAsBoolean && PowerShellValues.IsSwitch(plain, out bool on))
            {
                writer.WriteBooleanValue(on);
                return;
            }

            foreach (Type type in rules.Text)
            {
                if (type.IsInstanceOfType(plain))
                {
                    writer.WriteStringValue(Convert.ToString(plain, CultureInfo.InvariantCulture));
                    return;
                }
            }

            if (depth >= rules.MaxDepth && rules.TooDeep is null)
            {
                // Its items would be deeper than the rules allow: the container is written as null.
                writer.WriteNullValue();
                return;
            }

            switch (plain)
            {
                case IDictionary map:
                    writer.WriteStartObject();
                    foreach (DictionaryEntry entry in map)
                    {
                        string name = PropertyName(entry.Key, rules.TextKeysOnly, where);
                        writer.WritePropertyName(name);
                        WriteValue(writer, entry.Value, rules, rules.NamesPath ? $"{where}.{name}" : where, depth + 1);
                    }

                    writer.WriteEndObject();
                    return;
                case IEnumerable items:
                    writer.WriteStartArray();
                    int i = 0;
                    foreach (object? item in items)
                    {
                        WriteValue(writer, item, rules, rules.NamesPath ? $"{where}[{i}]" : where, depth + 1);
                        i++;
                    }

                    writer.WriteEndArray();
                    return;
            }

            if (plainOnly || !PowerShellValues.WriteObject(writer, value, plain, rules, where, depth))
            {
                throw new ArgumentException(rules.NoJsonForm(where, plain));
            }
        }

        /// <summary>
        /// A dictionary key (or the PSObject of one) as a property name: text, or, unless <paramref name="textOnly"/>, any key's
        /// invariant text; else the error naming where the dictionary is.
        /// </summary>
        internal static string PropertyName(object key, bool textOnly, string where) =>
            key as string ?? PowerShellValues.PropertyName(key, textOnly, where);

        private const string UtcSeconds = "yyyy-MM-dd'T'HH:mm:ss'Z'";

        /// <summary>
        /// What <see cref="WriteValue"/> does with PowerShell's own types. Only these methods name them, and the module's own
        /// documents (<see cref="JsonObjects.None"/>) never call them: those are written where PowerShell need not be loaded
        /// (tests/Desktop runs the engine calls under Mono with no System.Management.Automation).
        /// </summary>
        private static class PowerShellValues
        {
            internal static object? Unwrapped(object? value) => value is PSObject wrapper ? wrapper.BaseObject : value;

            internal static bool IsSwitch(object plain, out bool on)
            {
                on = plain is SwitchParameter { IsPresent: true };
                return plain is SwitchParameter;
            }

            internal static string PropertyName(object key, bool textOnly, string where)
            {
                object plain = key is PSObject ps ? ps.BaseObject : key;
                if (plain is string text)
                {
                    return text;
                }

                return textOnly
                    ? throw new ArgumentException($"A key of {where} is a {plain.GetType()}, not a property name.")
                    : Convert.ToString(plain, CultureInfo.InvariantCulture) ?? string.Empty;
            }

            /// <summary>Writes an object by <see cref="JsonValueRules.Objects"/>; false when the rules write no such object.</summary>
            internal static bool WriteObject(JsonWriter writer, object? value, object plain, JsonValueRules rules, string where, int depth)
            {
                PSObject? custom = value is PSObject { BaseObject: PSCustomObject } c ? c : null;
                switch (rules.Objects)
                {
                    case JsonObjects.Custom when custom is not null:
                        WriteProperties(writer, custom, rules, where, depth);
                        return true;
                    case JsonObjects.Properties:
                        WriteProperties(writer, value as PSObject ?? PSObject.AsPSObject(plain), rules, where, depth);
                        return true;
                    case JsonObjects.Model:
                        WriteModel(writer, custom ?? PSObject.AsPSObject(plain), rules, where, depth);
                        return true;
                    default:
                        return false;
                }
            }

            /// <summary>
            /// An object's properties as named, nulls included (<see cref="JsonObjects.Custom"/>, <see cref="JsonObjects.Properties"/>).
            /// With <see cref="JsonObjects.Properties"/>, a custom object gives only its note and script properties, and a property
            /// that cannot be read is left out.
            /// </summary>
            private static void WriteProperties(JsonWriter writer, PSObject shown, JsonValueRules rules, string where, int depth)
            {
                bool leniently = rules.Objects == JsonObjects.Properties;
                bool notesOnly = leniently && shown.BaseObject is PSCustomObject;
                writer.WriteStartObject();
                foreach (PSPropertyInfo property in shown.Properties)
                {
                    if (notesOnly && property.MemberType != PSMemberTypes.NoteProperty && property.MemberType != PSMemberTypes.ScriptProperty)
                    {
                        continue;
                    }

                    object? item;
                    if (!leniently)
                    {
                        item = property.Value;
                    }
                    else if (!property.IsGettable)
                    {
                        continue;
                    }
                    else
                    {
                        try
                        {
                            item = property.Value;
                        }
                        catch (GetValueException)
                        {
                            continue;
                        }
                    }

                    writer.WritePropertyName(property.Name);
                    WriteValue(writer, item, rules, rules.NamesPath ? $"{where}.{property.Name}" : where, depth + 1);
                }

                writer.WriteEndObject();
            }

            /// <summary>
            /// An object as a Graph model (<see cref="JsonObjects.Model"/>): its readable non-null properties under their camelCase
            /// names, then the non-null entries of its <see cref="JsonValueRules.AdditionalProperties"/>; each name once.
            /// </summary>
            private static void WriteModel(JsonWriter writer, PSObject instance, JsonValueRules rules, string where, int depth)
            {
                var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                IDictionary? additional = null;
                writer.WriteStartObject();
                foreach (PSPropertyInfo property in instance.Properties)
                {
                    object? value;
                    try
                    {
                        value = property.Value;
                    }
                    catch (Exception e) when (e is GetValueException or ExtendedTypeSystemException)
                    {
                        continue;
                    }

                    if (property.Name == rules.AdditionalProperties)
                    {
                        additional = (value is PSObject wrapped ? wrapped.BaseObject : value) as IDictionary;
                        continue;
                    }

                    if (value is null)
                    {
                        continue;
                    }

                    string name = CamelCase(property.Name);
                    if (written.Add(name))
                    {
                        writer.WritePropertyName(name);
                        WriteValue(writer, value, rules, rules.NamesPath ? $"{where}.{name}" : where, depth + 1);
                    }
                }

                if (additional is not null)
                {
                    foreach (DictionaryEntry entry in additional)
                    {
                        string name = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty;
                        if (entry.Value is not null && written.Add(name))
                        {
                            writer.WritePropertyName(name);
                            WriteValue(writer, entry.Value, rules, rules.NamesPath ? $"{where}.{name}" : where, depth + 1);
                        }
                    }
                }

                writer.WriteEndObject();
            }

            private static string CamelCase(string name) =>
                name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);
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
