// lucid: see Cli.cs (the whole program, callable in-process by the tests) and docs/cli.md.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // the first Ctrl-C cancels gracefully (finished work is kept); a second one ends the process
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    interrupt.Cancel();
};
return Lucid.Cli.Cli.Run(args, cancellation: interrupt.Token);
