// A small but complete cmdlet page, and helpers to compile it (or a broken copy of it) the way the build does.
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;

namespace MgLicense.HelpCompiler.Tests
{
    internal static class SamplePage
    {
        public const string PagePath = "docs/cmdlets/Invoke-MgSample.md";

        /// <summary>Two parameter sets, a positional parameter, a pipeline parameter, a switch, aliases, lists and links.</summary>
        public const string Text = @"---
external help file: MgLicense.dll-Help.xml
Module Name: MgLicense
schema: 2.0.0
---

# Invoke-MgSample

## SYNOPSIS
Does one sample thing.

## SYNTAX

### ById (Default)
```
Invoke-MgSample [-Id] <String> [-Force] [-WhatIf] [<CommonParameters>]
```

### ByObject
```
Invoke-MgSample -InputObject <IUsersActionsIdentity> [-Force] [-WhatIf]
 [<CommonParameters>]
```

## DESCRIPTION
First paragraph,
continued on a second line.

Second paragraph with a [link](https://example.com/doc) and a [Get-Help]() reference.

## EXAMPLES

### Example 1: Run it once
```powershell
Invoke-MgSample -Id 'a & b'
```

It runs once.

### Example 2: From the pipeline
Before the code.

```powershell
@{ UserId = 'u' } | Invoke-MgSample
```

```output
done
```

After the code.

## PARAMETERS

### -Force
Skips the question.

```yaml
Type: SwitchParameter
Parameter Sets: (All)
Aliases: f

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
```

### -Id
The id.

```yaml
Type: String
Parameter Sets: ById
Aliases: UserId, ObjectId

Required: True
Position: 0
Default value: None
Accept pipeline input: False
Accept wildcard characters: True
```

### -InputObject
An identity.

```yaml
Type: IUsersActionsIdentity
Parameter Sets: ByObject
Aliases:

Required: True
Position: Named
Default value: None
Accept pipeline input: True (ByValue)
Accept wildcard characters: False
```

### -WhatIf
Shows what would happen.

```yaml
Type: SwitchParameter
Parameter Sets: (All)
Aliases: wi

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
```

### CommonParameters
Supports the common parameters.

## INPUTS

### MgLicense.Models.IUsersActionsIdentity
An identity.

## OUTPUTS

### System.Boolean

## NOTES
KEYS

INPUTOBJECT `<IUsersActionsIdentity>`: the identity
  - `[UserId <String>]`: the user
  - `[Id <String>]`: also the user

## RELATED LINKS

[Invoke-MgLicenseUser]()

[Sample docs](https://example.com/sample)
";

        public static readonly XNamespace Msh = MamlWriter.MshNamespace;
        public static readonly XNamespace Maml = MamlWriter.MamlNamespace;
        public static readonly XNamespace Command = MamlWriter.CommandNamespace;
        public static readonly XNamespace Dev = MamlWriter.DevNamespace;

        /// <summary>Compiles pages to MAML and parses the XML back.</summary>
        public static XDocument Compile(params (string Path, string Text)[] pages)
        {
            IReadOnlyList<CommandHelp> commands = HelpCompilation.Parse(pages);
            return XDocument.Parse(System.Text.Encoding.UTF8.GetString(MamlWriter.Write(commands)));
        }

        /// <summary>The diagnostics of a page that must not compile.</summary>
        public static IReadOnlyList<HelpDiagnostic> Errors(string text, string path = PagePath)
        {
            try
            {
                HelpCompilation.Parse(new[] { (path, text) });
            }
            catch (HelpCompilationException e)
            {
                return e.Diagnostics;
            }

            throw new Xunit.Sdk.XunitException("the page compiled, but it should have been refused");
        }

        /// <summary>The one-based line of the first line of <paramref name="text"/> that contains <paramref name="fragment"/>.</summary>
        public static int LineOf(string text, string fragment, int occurrence = 1)
        {
            string[] lines = text.Replace("\r\n", "\n").Split('\n');
            int seen = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].Contains(fragment) && ++seen == occurrence)
                {
                    return i + 1;
                }
            }

            throw new Xunit.Sdk.XunitException($"'{fragment}' is not in the page");
        }

        public static XElement CommandElement(XDocument maml, string name) =>
            maml.Root!.Elements(Command + "command").Single(c => (string?)c.Element(Command + "details")?.Element(Command + "name") == name);

        public static IEnumerable<string> Paras(XElement? element) =>
            element is null ? Enumerable.Empty<string>() : element.Elements(Maml + "para").Select(p => p.Value);
    }
}
