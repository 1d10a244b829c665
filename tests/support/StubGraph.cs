#nullable enable
// A loopback Graph endpoint (used by the Pester tests through Add-Type and by the xunit host tests) for what the emulator cannot be made to do: never answer, answer every request with one fixed response, or answer from the request's head.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MgLicense.Tests
{
    public sealed class StubGraph : IDisposable
    {
        private readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
        private readonly List<TcpClient> held = new List<TcpClient>();
        private readonly ManualResetEventSlim accepted = new ManualResetEventSlim();
        private readonly Func<string, string>? answer;
        private int requests;

        /// <param name="answer">The raw HTTP response sent for every request (status line, headers, blank line, body); null never answers.</param>
        public StubGraph(string? answer)
            : this(answer is null ? null : _ => answer)
        {
        }

        /// <param name="answer">Makes the raw HTTP response from the request head it answers; null never answers.</param>
        public StubGraph(Func<string, string>? answer)
        {
            this.answer = answer;
            listener.Start();
            Url = "http://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port;
            _ = Task.Run(AcceptAsync);
        }

        public string Url { get; }

        /// <summary>A stub that answers with <paramref name="status"/>, echoing the request's Authorization value in three headers and the body, as a hostile or broken service might.</summary>
        public static StubGraph EchoingAuthorization(string status) => new StubGraph(head =>
        {
            string auth = head.Split("\r\n")
                .Where(l => l.StartsWith("authorization:", StringComparison.OrdinalIgnoreCase))
                .Select(l => l.Substring("authorization:".Length).Trim())
                .FirstOrDefault() ?? string.Empty;
            string body = "{\"error\":{\"code\":\"Echo\",\"message\":\"You sent " + auth + "\"},\"id\":\"u1\",\"displayName\":\"" + auth + "\"}";
            return $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n" +
                $"x-echo-authorization: {auth}\r\nAuthorization: {auth}\r\nWWW-Authenticate: Bearer error=\"{auth}\"\r\n\r\n{body}";
        });

        /// <summary>How many request heads have been read (only counted when the stub answers).</summary>
        public int Requests => Volatile.Read(ref requests);

        public bool WaitForConnection(TimeSpan timeout) => accepted.Wait(timeout);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    TcpClient client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
                    lock (held)
                    {
                        held.Add(client);
                    }

                    accepted.Set();
                    if (answer is not null)
                    {
                        _ = Task.Run(() => AnswerAsync(client));
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The listener was stopped.
            }
        }

        /// <summary>Reads each request's head (the clients here send no body) and sends the fixed answer, on one kept-alive connection.</summary>
        private async Task AnswerAsync(TcpClient client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                int read;
                while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    int end;
                    while ((end = head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                    {
                        string request = head.ToString(0, end);
                        head.Remove(0, end + 4);
                        Interlocked.Increment(ref requests);
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer!(request))).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The client or the stub closed the connection.
            }
        }

        /// <summary>Stops listening and closes every connection, which ends any request the stub never answered.</summary>
        public void Dispose()
        {
            listener.Stop();
            lock (held)
            {
                held.ForEach(c => c.Dispose());
            }

            accepted.Dispose();
        }
    }
}
