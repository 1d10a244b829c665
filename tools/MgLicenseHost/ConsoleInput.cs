using System.Security;
using System.Text;

namespace MgLicense.Host;

/// <summary>
/// Reads answers to prompts from stdin in a way Ctrl+C can interrupt: the blocking read runs on a
/// worker task and the prompt waits for either the line or the cancel signal. A read that was
/// interrupted stays pending and its line goes to the next prompt, so no input is lost.
/// </summary>
internal sealed class ConsoleInput
{
    private readonly object _lock = new();
    private Task<string?>? _pending;
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>
    /// Interrupts the prompt waiting now and every later one (Ctrl+C): the host runs one pipeline,
    /// and once that is being stopped nothing should wait for a person.
    /// </summary>
    public void Cancel()
    {
        lock (_lock)
        {
            _cancel.Cancel();
        }
    }

    /// <summary>A line, or null at end of input. Throws <see cref="OperationCanceledException"/> on Ctrl+C.</summary>
    public string? ReadLine() => Wait(() => Console.In.ReadLine());

    /// <summary>A line read without echo ('*' per character on a terminal). Null at end of input.</summary>
    public SecureString? ReadSecret()
    {
        if (!Terminal.StdinIsTerminal)
        {
            string? line = ReadLine();
            if (line == null)
            {
                return null;
            }

            var fromPipe = new SecureString();
            foreach (char c in line)
            {
                fromPipe.AppendChar(c);
            }

            fromPipe.MakeReadOnly();
            return fromPipe;
        }

        string? typed = Wait(ReadMaskedFromTerminal);
        if (typed == null)
        {
            return null;
        }

        var secret = new SecureString();
        foreach (char c in typed)
        {
            secret.AppendChar(c);
        }

        secret.MakeReadOnly();
        return secret;
    }

    private static string? ReadMaskedFromTerminal()
    {
        var sb = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Out.WriteLine();
                return sb.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0)
                {
                    sb.Length--;
                    Console.Out.Write("\b \b");
                }

                continue;
            }

            if (key.Key == ConsoleKey.D && key.Modifiers == ConsoleModifiers.Control && sb.Length == 0)
            {
                return null;
            }

            if (!char.IsControl(key.KeyChar))
            {
                sb.Append(key.KeyChar);
                Console.Out.Write('*');
            }
        }
    }

    private string? Wait(Func<string?> read)
    {
        Task<string?> task;
        CancellationToken token;
        lock (_lock)
        {
            _pending ??= Task.Run(read);
            task = _pending;
            token = _cancel.Token;
        }

        try
        {
            task.Wait(token);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (AggregateException e) when (e.InnerException is IOException or ObjectDisposedException)
        {
            // stdin went away: the same as end of input
        }

        lock (_lock)
        {
            _pending = null;
        }

        return task.IsCompletedSuccessfully ? task.Result : null;
    }
}
