// A loopback HTTP proxy that refuses every tunnel (403), for the tests of what goes through a proxy: nothing leaves the
// machine and no remote name is looked up. It keeps the head of each request: its first line (Seen) and the line with
// its headers, names in lower case, joined with CRLF (Heads).
namespace MgLicense.Tests
{
    public sealed class RefusingProxy : System.IDisposable
    {
        private readonly System.Net.Sockets.TcpListener listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);

        public RefusingProxy()
        {
            listener.Start();
            Url = "http://" + listener.LocalEndpoint;
            System.Threading.Tasks.Task.Run(Serve);
        }

        public string Url { get; }

        /// <summary>The request line of each request, in the order they came.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<string> Seen { get; } = new System.Collections.Concurrent.ConcurrentQueue<string>();

        /// <summary>The request line and headers of each request, in the order they came.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<string> Heads { get; } = new System.Collections.Concurrent.ConcurrentQueue<string>();

        private async System.Threading.Tasks.Task Serve()
        {
            try
            {
                while (true)
                {
                    using System.Net.Sockets.TcpClient client = await listener.AcceptTcpClientAsync();
                    var reader = new System.IO.StreamReader(client.GetStream(), System.Text.Encoding.ASCII);
                    string first = await reader.ReadLineAsync() ?? string.Empty;
                    var head = new System.Text.StringBuilder(first);
                    for (string line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
                    {
                        int colon = line.IndexOf(':');
                        head.Append("\r\n").Append(colon < 0 ? line : line.Substring(0, colon).ToLowerInvariant() + line.Substring(colon));
                    }

                    Heads.Enqueue(head.ToString());
                    Seen.Enqueue(first);
                    byte[] refusal = System.Text.Encoding.ASCII.GetBytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    await client.GetStream().WriteAsync(refusal);
                }
            }
            catch (System.Exception e) when (e is System.Net.Sockets.SocketException or System.ObjectDisposedException or System.IO.IOException)
            {
                // Stopped.
            }
        }

        public void Dispose() => listener.Stop();
    }
}
