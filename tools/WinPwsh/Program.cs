// pwsh.exe for win-x64: PowerShell's own console entry point, as the official pwsh.exe calls it.
return Microsoft.PowerShell.UnmanagedPSEntry.Start(args, args.Length);
