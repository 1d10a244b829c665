// Runs the module's managed parts that need no PowerShell on .NET Framework's API: the JSON reader and writer, the engine
// through the C ABI (version, client, sign-in with secret buffers, a request against the emulator), and the certificate
// key encoding the engine signs with. Under Mono on Linux it stands in for Windows PowerShell 5.1's runtime; on Windows it
// runs on .NET Framework itself. Usage: MgLicense.DesktopCheck.exe <graph-emulator> <tenant.json>
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using MgLicense.Commands;
using MgLicense.Native;

internal static class Program
{
    private static int passed;
    private static int failed;

    private static void Check(bool condition, string what)
    {
        if (condition)
        {
            passed++;
            Console.WriteLine("  [+] " + what);
        }
        else
        {
            failed++;
            Console.WriteLine("  [-] " + what);
        }
    }

    private static void Run(string name, Action test)
    {
        try
        {
            test();
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"  [-] {name}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static int Main(string[] args)
    {
        Console.WriteLine($"MgLicense on {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}"
            + $" ({(Type.GetType("Mono.Runtime") is null ? ".NET Framework" : "Mono")})");
        Run("JSON", JsonReadsAndWrites);
        Run("keys", KeysEncode);
        Run("engine", () => Engine(args.Length > 0 ? args[0] : null, args.Length > 1 ? args[1] : null));
        Console.WriteLine($"Desktop: {passed} passed, {failed} failed");
        return failed == 0 && passed > 0 ? 0 : 1;
    }

    private static void JsonReadsAndWrites()
    {
        byte[] text = Encoding.UTF8.GetBytes("{\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\ud800\\n\"],\"b\":{\"c\":\"\u20ac\"},\"a\":9}");
        JsonElement root = Json.Parse(text);
        Check(root.ValueKind == JsonValueKind.Object, "an object is read");
        Check(root.TryGetProperty("a", out JsonElement a) && a.ValueKind == JsonValueKind.Number && a.TryGetInt64(out long n) && n == 9,
            "a repeated member: the last one wins");
        JsonElement first = default;
        foreach (JsonProperty p in root.EnumerateObject())
        {
            first = p.Value;
            break;
        }

        var items = new List<JsonElement>(first.EnumerateArray());
        Check(items.Count == 6 && items[1].GetDouble() == -2500 && items[2].GetBoolean() && items[4].ValueKind == JsonValueKind.Null,
            "numbers, booleans and null");
        Check(items[5].GetString() == "x\u00e9\ud800\n", "escapes decoded, a lone surrogate kept as written");
        Check(root.GetProperty("b").GetProperty("c").GetString() == "\u20ac", "UTF-8 decoded");
        Check(Json.Parse("[ ]").GetArrayLength() == 0 && !new List<JsonProperty>(Json.Parse("{}").EnumerateObject()).GetEnumerator().MoveNext(), "empty array and object");

        var writer = new JsonWriter();
        writer.WriteStartObject();
        writer.WriteString("s", "q\"\\\u0001\ud800\u00e9");
        writer.WriteNumber("n", 42);
        writer.WriteStartArray("l");
        writer.WriteBooleanValue(true);
        writer.WriteNullValue();
        writer.WriteNumberValue(0.5);
        writer.WriteEndArray();
        writer.WriteEndObject();
        Check(writer.ToString() == "{\"s\":\"q\\\"\\\\\\u0001\\ud800\u00e9\",\"n\":42,\"l\":[true,null,0.5]}", "the writer's document: " + writer);
        Check(Json.Parse(writer.ToArray()).GetProperty("s").GetString() == "q\"\\\u0001\ud800\u00e9", "what the writer writes, the reader reads back");

        string deep = new string('[', Json.MaxDepth) + new string(']', Json.MaxDepth);
        Check(Json.Parse(deep).ValueKind == JsonValueKind.Array, $"{Json.MaxDepth} levels are read");
        bool refused = false;
        try
        {
            Json.Parse("[" + deep + "]");
        }
        catch (JsonException)
        {
            refused = true;
        }

        Check(refused, "one level more is refused");
        foreach (string bad in new[] { "", "[1,]", "{\"a\" 1}", "tru", "01", "\"\u0001\"", "[1] x", "{'a':1}" })
        {
            bool threw = false;
            try
            {
                Json.Parse(bad);
            }
            catch (JsonException)
            {
                threw = true;
            }

            Check(threw, "not JSON, refused: " + bad.Replace("\u0001", "\\u0001"));
        }

        bool invalidUtf8 = false;
        try
        {
            Json.Parse(new byte[] { (byte)'"', 0xff, (byte)'"' });
        }
        catch (JsonException)
        {
            invalidUtf8 = true;
        }

        Check(invalidUtf8, "invalid UTF-8 is refused");

        // An engine answer (Json.Parse of its bytes) reads the objects and arrays inside it only when asked for: what is not
        // JSON in them is refused all the same, when the answer is read, with the error of a document read whole.
        string[] nested = { "[1,]", "{\"a\" 1}", "[tru]", "[01]", "[\"\u0001\"]", "{'a':1}", "[\"\\x\"]", "[\"\\u12\"]", "[[1]" };
        foreach (string bad in nested)
        {
            string document = "{\"status\":200,\"headers\":{\"a\":[\"b\"]},\"body\":" + bad + "}";
            string? whole = null, deferred = null;
            try
            {
                Json.Parse(document);
            }
            catch (JsonException e)
            {
                whole = e.Message;
            }

            try
            {
                Json.Parse(Encoding.UTF8.GetBytes(document));
            }
            catch (JsonException e)
            {
                deferred = e.Message;
            }

            Check(whole is not null && deferred == whole, $"not JSON inside an answer, refused as in a document read whole: {bad.Replace("\u0001", "\\u0001")} ({deferred ?? "read"})");
        }

        bool deepRefused = false;
        try
        {
            Json.Parse(Encoding.UTF8.GetBytes("{\"a\":" + "[" + deep + "]}"));
        }
        catch (JsonException)
        {
            deepRefused = true;
        }

        Check(deepRefused, "inside an answer, one level more than " + Json.MaxDepth + " is refused");
        bool nestedUtf8 = false;
        try
        {
            Json.Parse(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'[', (byte)'"', 0xff, (byte)'"', (byte)']', (byte)'}' });
        }
        catch (JsonException)
        {
            nestedUtf8 = true;
        }

        Check(nestedUtf8, "invalid UTF-8 inside an answer is refused");
        JsonElement answer = Json.Parse(Encoding.UTF8.GetBytes(
            "{\"headers\":{\"x\":[\"1\",\"2\"]},\"body\":{\"id\":\"u\\u00e9\",\"list\":[{\"n\":1},[],{}],\"e\":{}},\"deep\":" + deep.Substring(1, deep.Length - 2) + "}"));
        JsonElement body = answer.GetProperty("body");
        Check(body.GetProperty("id").GetString() == "u\u00e9" && body.GetProperty("list").GetArrayLength() == 3
            && new List<JsonElement>(body.GetProperty("list").EnumerateArray())[0].GetProperty("n").GetRawText() == "1"
            && answer.GetProperty("headers").GetProperty("x").GetRawText() == "[\"1\",\"2\"]"
            && answer.GetRawText() == Json.Parse(answer.GetRawText()).GetRawText(),
            "the objects and arrays inside an answer read when asked for: " + answer.GetRawText().Substring(0, 80));
    }

    private static void KeysEncode()
    {
        using RSA rsa = new RSACryptoServiceProvider(2048);
        RSAParameters key = rsa.ExportParameters(true);
        byte[] der = RsaKeyDer.Pkcs1(key);
        var fields = ReadSequenceOfIntegers(der);
        byte[][] expected = { new byte[] { 0 }, key.Modulus!, key.Exponent!, key.D!, key.P!, key.Q!, key.DP!, key.DQ!, key.InverseQ! };
        bool same = fields.Count == 9;
        for (int i = 0; same && i < 9; i++)
        {
            same = Unsigned(fields[i]) == Unsigned(expected[i]);
        }

        Check(same, $"RSAParameters → PKCS#1 DER ({der.Length} bytes): a SEQUENCE of the nine INTEGERs");
    }

    private static string Unsigned(byte[] value)
    {
        int skip = 0;
        while (skip < value.Length - 1 && value[skip] == 0)
        {
            skip++;
        }

        return BitConverter.ToString(value, skip);
    }

    private static List<byte[]> ReadSequenceOfIntegers(byte[] der)
    {
        int at = 0;
        int Length()
        {
            int first = der[at++];
            if (first < 0x80)
            {
                return first;
            }

            int length = 0;
            for (int i = 0; i < (first & 0x7f); i++)
            {
                length = (length << 8) | der[at++];
            }

            return length;
        }

        var fields = new List<byte[]>();
        if (der[at++] != 0x30 || Length() != der.Length - at)
        {
            return fields;
        }

        while (at < der.Length)
        {
            if (der[at++] != 0x02)
            {
                return new List<byte[]>();
            }

            int length = Length();
            byte[] value = new byte[length];
            Buffer.BlockCopy(der, at, value, 0, length);
            at += length;
            fields.Add(value);
        }

        return fields;
    }

    private static void Engine(string? emulatorProgram, string? tenant)
    {
        EngineClient engine = EngineClient.GetShared("MgLicense.DesktopCheck/0.1");
        Check(NativeMethods.mgl_abi_version() == NativeMethods.ExpectedAbiVersion, $"the library reports ABI version {NativeMethods.ExpectedAbiVersion}");
        Check(engine.IdentityKeys.Count > 0 && engine.IdentityKeys[0] == "UserId", "a client, and its identity keys read from mgl_client_new's answer");

        if (emulatorProgram is null || tenant is null)
        {
            Check(false, "the emulator's program and tenant are given");
            return;
        }

        var start = new ProcessStartInfo(emulatorProgram,
            BrowserLauncher.QuoteArgument("--users") + " " + BrowserLauncher.QuoteArgument(tenant) + " --port 0 --exit-on-stdin-eof")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        using Process emulator = Process.Start(start)!;
        try
        {
            string url = emulator.StandardOutput.ReadLine()!.Trim().TrimEnd('/');
            Check(url.StartsWith("http://127.0.0.1:", StringComparison.Ordinal), "the emulator listens on loopback: " + url);
            engine.AddEnvironment(Json.ToText(new Dictionary<string, object?> { ["name"] = "DesktopCheck", ["graphEndpoint"] = url, ["azureADEndpoint"] = url }));

            string token = Json.Text(Json.Parse(Admin(url, "tokens", "{\"roles\":[\"User.ReadWrite.All\"]}")), "access_token")!;
            var secrets = new List<SecretField>();
            var head = new Dictionary<string, object?>
            {
                ["environment"] = "DesktopCheck",
                ["proxy"] = new Dictionary<string, object?>(),
                ["accessToken"] = SecretField.Reference(secrets, new SecretField(null, token.ToCharArray())),
            };
            JsonElement context = engine.SignIn(Json.ToUtf8(head), secrets, _ => { }, CancellationToken.None);
            Check(Json.Text(context, "authType") == "UserProvidedAccessToken", "a sign-in whose token travels as its own buffer");

            JsonElement tenantDocument = Json.Parse(File.ReadAllBytes(tenant));
            string user = Json.Text(new List<JsonElement>(tenantDocument.GetProperty("users").EnumerateArray())[0], "id")!;
            var request = new JsonWriter();
            request.WriteStartObject();
            request.WriteString("operation", "reprocessLicenseAssignment");
            request.WriteStartObject("identity");
            request.WritePropertyName("UserId");
            Json.WriteScalar(request, user);
            request.WriteEndObject();
            request.WriteEndObject();
            JsonElement result = engine.Send(request.ToArray(), CancellationToken.None);
            Check(result.ValueKind == JsonValueKind.Object && result.GetRawText().Contains(user), "a request against the emulator answers with the user");

            // A raw call (Invoke-MgGraphRequest): a body buffer handed over beside the document, the answer's bytes taken back.
            byte[] batch = Encoding.UTF8.GetBytes("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users/" + user + "\"}]}");
            JsonElement raw = engine.SendRaw(
                Json.ToUtf8(new Dictionary<string, object?> { ["method"] = "POST", ["uri"] = "v1.0/$batch", ["contentType"] = "application/json" }),
                batch, CancellationToken.None, out byte[] rawBody);
            Check(raw.TryGetProperty("status", out JsonElement rawStatus) && rawStatus.TryGetInt32(out int code) && code == 200
                && Encoding.UTF8.GetString(rawBody).Contains(user), "a raw call sends its body buffer and hands back the answer's bytes");

            // The key the module encodes is the key the engine signs with: a certificate sign-in gets past the key to the
            // token endpoint (which knows no such app), while bytes that are no key are refused as such.
            using RSA rsa = new RSACryptoServiceProvider(2048);
            RSAParameters parameters = rsa.ExportParameters(true);
            Check(SignInWithKey(engine, RsaKeyDer.Pkcs1(parameters)) is string good && good.IndexOf("private key", StringComparison.Ordinal) < 0,
                "the engine takes the encoded key and signs its assertion with it");
            Check(SignInWithKey(engine, new byte[] { 0x30, 0x03, 0x02, 0x01, 0x00 }) is string bad && bad.IndexOf("private key could not be used", StringComparison.Ordinal) >= 0,
                "bytes that are no key are refused by the engine");
        }
        finally
        {
            emulator.StandardInput.Close();
            if (!emulator.WaitForExit(5000))
            {
                emulator.Kill();
            }
        }
    }

    /// <summary>A certificate sign-in with this key for an app the emulator does not know: the error's message.</summary>
    private static string? SignInWithKey(EngineClient engine, byte[] key)
    {
        var secrets = new List<SecretField>();
        var head = new Dictionary<string, object?>
        {
            ["environment"] = "DesktopCheck",
            ["proxy"] = new Dictionary<string, object?>(),
            ["clientId"] = "00000000-0000-4000-8000-00000000abcd",
            ["tenantId"] = "00000000-0000-4000-8000-000000000001",
            ["certificate"] = new Dictionary<string, object?>
            {
                ["certificate"] = Convert.ToBase64String(new byte[] { 1, 2, 3 }),
                ["privateKey"] = SecretField.Reference(secrets, new SecretField(null, null, key)),
            },
        };
        try
        {
            engine.SignIn(Json.ToUtf8(head), secrets, _ => { }, CancellationToken.None);
            return null;
        }
        catch (EngineException e)
        {
            Console.WriteLine($"      ({e.Kind}: {e.Message})");
            return e.Message;
        }
    }

    private static byte[] Admin(string url, string path, string body)
    {
        var request = (HttpWebRequest)WebRequest.Create(url + "/_emulator/" + path);
        request.Method = "POST";
        request.Proxy = null;
        request.ContentType = "application/json";
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        using (Stream stream = request.GetRequestStream())
        {
            stream.Write(bytes, 0, bytes.Length);
        }

        using var response = (HttpWebResponse)request.GetResponse();
        using var memory = new MemoryStream();
        response.GetResponseStream()!.CopyTo(memory);
        return memory.ToArray();
    }
}
