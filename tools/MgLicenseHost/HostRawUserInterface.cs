using System.Management.Automation.Host;

namespace MgLicense.Host;

/// <summary>
/// The console geometry the formatter asks for. Width is the terminal's when there is one and 120
/// otherwise, so that logs and captured output are laid out the same everywhere.
/// </summary>
internal sealed class HostRawUserInterface : PSHostRawUserInterface
{
    private string _title = "mglhost";

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

    public override Size BufferSize
    {
        get => new(Terminal.Width, Math.Max(Terminal.Height, 9001));
        set => throw new NotSupportedException("mglhost cannot resize the console buffer.");
    }

    public override Size WindowSize
    {
        get => new(Terminal.Width, Terminal.Height);
        set => throw new NotSupportedException("mglhost cannot resize the console window.");
    }

    public override Size MaxWindowSize => WindowSize;

    public override Size MaxPhysicalWindowSize => WindowSize;

    public override Coordinates CursorPosition
    {
        get
        {
            if (Terminal.StdoutIsTerminal && Terminal.StdinIsTerminal)
            {
                try
                {
                    var (left, top) = Console.GetCursorPosition();
                    return new Coordinates(left, top);
                }
                catch (IOException)
                {
                }
            }

            return new Coordinates(0, 0);
        }

        set
        {
            if (Terminal.StdoutIsTerminal)
            {
                Console.SetCursorPosition(value.X, value.Y);
            }
        }
    }

    public override Coordinates WindowPosition
    {
        get => new(0, 0);
        set { }
    }

    public override int CursorSize { get; set; } = 25;

    public override string WindowTitle
    {
        get => _title;
        set => _title = value ?? string.Empty;
    }

    public override bool KeyAvailable => Terminal.StdinIsTerminal && Console.KeyAvailable;

    public override KeyInfo ReadKey(ReadKeyOptions options)
    {
        if (!Terminal.StdinIsTerminal)
        {
            throw new NotSupportedException("ReadKey needs a terminal; stdin is redirected.");
        }

        bool intercept = (options & ReadKeyOptions.NoEcho) != 0;
        ConsoleKeyInfo key = Console.ReadKey(intercept);
        var state = ControlKeyStates.NumLockOn;
        if ((key.Modifiers & ConsoleModifiers.Shift) != 0)
        {
            state |= ControlKeyStates.ShiftPressed;
        }

        if ((key.Modifiers & ConsoleModifiers.Alt) != 0)
        {
            state |= ControlKeyStates.LeftAltPressed;
        }

        if ((key.Modifiers & ConsoleModifiers.Control) != 0)
        {
            state |= ControlKeyStates.LeftCtrlPressed;
        }

        return new KeyInfo((int)key.Key, key.KeyChar, state, keyDown: true);
    }

    public override void FlushInputBuffer()
    {
        while (KeyAvailable)
        {
            Console.ReadKey(intercept: true);
        }
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
        throw new NotSupportedException("mglhost does not keep a screen buffer.");

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) =>
        throw new NotSupportedException("mglhost does not keep a screen buffer.");

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
    {
        // Clear-Host sends a full-screen fill; on a terminal that is "clear screen".
        if (rectangle.Left == -1 && rectangle.Top == -1 && Terminal.StdoutIsTerminal)
        {
            Console.Clear();
            return;
        }

        throw new NotSupportedException("mglhost does not keep a screen buffer.");
    }

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) =>
        throw new NotSupportedException("mglhost does not keep a screen buffer.");
}
