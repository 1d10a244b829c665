using System.Globalization;
using System.Management.Automation;
using System.Text;

namespace MgLicense.Host;

/// <summary>
/// The only writer of stdout and stderr. One lock keeps lines from different threads whole and
/// lets the progress line on a terminal step aside before anything else is printed.
/// </summary>
internal sealed class ConsoleOutput
{
    private readonly object _lock = new();
    private readonly TextWriter _out = Console.Out;
    private readonly TextWriter _err = Console.Error;
    private readonly ProgressView _progress;
    private bool _stdoutMidLine;
    private bool _stderrMidLine;

    public ConsoleOutput()
    {
        _progress = new ProgressView(this);
    }

    public object Lock => _lock;

    public void Stdout(string text, bool newline)
    {
        lock (_lock)
        {
            _progress.Hide();
            if (!Terminal.StdoutIsTerminal || !Terminal.AnsiAllowed)
            {
                text = Terminal.StripEscapes(text);
            }

            if (newline)
            {
                _out.WriteLine(text);
            }
            else
            {
                _out.Write(text);
            }

            _out.Flush();
            _stdoutMidLine = !newline && text.Length > 0 && text[^1] != '\n';
            RedrawProgressIfIdle();
        }
    }

    public void Stderr(string text, bool newline)
    {
        lock (_lock)
        {
            _progress.Hide();
            if (!Terminal.StderrIsTerminal || !Terminal.AnsiAllowed)
            {
                text = Terminal.StripEscapes(text);
            }

            if (newline)
            {
                _err.WriteLine(text);
            }
            else
            {
                _err.Write(text);
            }

            _err.Flush();
            _stderrMidLine = !newline && text.Length > 0 && text[^1] != '\n';
            RedrawProgressIfIdle();
        }
    }

    public void Progress(long sourceId, ProgressRecord record)
    {
        lock (_lock)
        {
            _progress.Update(sourceId, record);
        }
    }

    /// <summary>Clears the progress line for good (end of the run).</summary>
    public void EndProgress()
    {
        lock (_lock)
        {
            _progress.Hide();
        }
    }

    // Writes that go straight to the stream, used by the progress view while it holds the lock.
    internal void RawStderr(string text)
    {
        _err.Write(text);
        _err.Flush();
    }

    internal bool SomeoneMidLine => _stdoutMidLine || _stderrMidLine;

    private void RedrawProgressIfIdle()
    {
        if (!SomeoneMidLine)
        {
            _progress.Redraw();
        }
    }
}

/// <summary>
/// Shows Write-Progress: on a terminal a single line on stderr that is rewritten in place; otherwise
/// one plain line per significant change, so that CI logs stay short.
/// </summary>
internal sealed class ProgressView
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StatusLogInterval = TimeSpan.FromSeconds(2);

    private readonly ConsoleOutput _output;
    private readonly Dictionary<(long, int), ProgressRecord> _active = new();
    private readonly Dictionary<(long, int), Logged> _logged = new();
    private (long, int)? _latest;
    private bool _shown;
    private DateTime _lastDraw = DateTime.MinValue;

    public ProgressView(ConsoleOutput output)
    {
        _output = output;
    }

    private sealed record Logged(string Activity, string Status, int Bucket, DateTime At);

    public void Update(long sourceId, ProgressRecord record)
    {
        var key = (sourceId, record.ActivityId);
        if (record.RecordType == ProgressRecordType.Completed)
        {
            _active.Remove(key);
            _logged.Remove(key);
            if (_latest == key)
            {
                _latest = _active.Count > 0 ? _active.Keys.Last() : null;
            }

            if (Terminal.StderrIsTerminal)
            {
                Hide();
                Redraw();
            }

            return;
        }

        bool isNewActivity = !_active.TryGetValue(key, out var previous) || previous.Activity != record.Activity;
        _active[key] = record;
        _latest = key;

        if (Terminal.StderrIsTerminal)
        {
            if (isNewActivity || DateTime.UtcNow - _lastDraw >= RedrawInterval)
            {
                Redraw();
            }

            return;
        }

        LogIfSignificant(key, record);
    }

    public void Hide()
    {
        if (_shown)
        {
            _output.RawStderr("\r\u001b[K");
            _shown = false;
        }
    }

    public void Redraw()
    {
        if (!Terminal.StderrIsTerminal || _latest is not { } key || !_active.TryGetValue(key, out var record)
            || _output.SomeoneMidLine)
        {
            return;
        }

        int width = Math.Max(20, Terminal.ProgressWidth - 1);
        string line = Describe(record, width, withBar: true);
        _output.RawStderr("\r" + line + "\u001b[K");
        _shown = true;
        _lastDraw = DateTime.UtcNow;
    }

    private void LogIfSignificant((long, int) key, ProgressRecord record)
    {
        string status = record.StatusDescription ?? string.Empty;
        int bucket = record.PercentComplete >= 0 ? Math.Min(record.PercentComplete, 100) / 10 : -1;
        DateTime now = DateTime.UtcNow;
        bool significant;
        if (!_logged.TryGetValue(key, out var last) || last.Activity != record.Activity)
        {
            significant = true;
        }
        else if (bucket >= 0)
        {
            significant = bucket != last.Bucket;
        }
        else
        {
            // No percentage: a new status counts, but at most one line every two seconds.
            significant = status != last.Status && now - last.At >= StatusLogInterval;
        }

        if (!significant)
        {
            return;
        }

        _logged[key] = new Logged(record.Activity, status, bucket, now);
        _output.RawStderr(Describe(record, int.MaxValue, withBar: false) + Environment.NewLine);
    }

    private static string Describe(ProgressRecord r, int width, bool withBar)
    {
        var sb = new StringBuilder();
        sb.Append(r.Activity);
        if (!string.IsNullOrEmpty(r.StatusDescription) && r.StatusDescription != r.Activity)
        {
            sb.Append(": ").Append(r.StatusDescription);
        }

        if (r.PercentComplete >= 0)
        {
            int pct = Math.Min(r.PercentComplete, 100);
            if (withBar)
            {
                const int barWidth = 20;
                int filled = pct * barWidth / 100;
                sb.Append(" [").Append('=', filled).Append(' ', barWidth - filled).Append(']');
            }

            sb.Append(' ').Append(pct.ToString(CultureInfo.InvariantCulture)).Append('%');
        }

        if (r.SecondsRemaining > 0)
        {
            sb.Append(" (").Append(TimeSpan.FromSeconds(r.SecondsRemaining).ToString("c", CultureInfo.InvariantCulture))
              .Append(" remaining)");
        }

        if (!string.IsNullOrEmpty(r.CurrentOperation))
        {
            sb.Append(" - ").Append(r.CurrentOperation);
        }

        string line = sb.Replace('\n', ' ').Replace('\r', ' ').ToString();
        return line.Length > width ? line[..(width - 3)] + "..." : line;
    }
}
