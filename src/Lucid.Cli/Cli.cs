using Lucid.Tensors.Kernels;

namespace Lucid.Cli;

/// <summary>
/// The <c>lucid</c> command line. <see cref="Run"/> is the whole program (Program.cs calls it; tests call it in-process
/// with their own writers). Global options: <c>--json</c> (one JSON document on stdout), <c>--quiet</c>,
/// <c>--verbose</c> (stack traces), <c>--threads</c>.
/// </summary>
public static partial class Cli
{
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print one JSON document with the command's results on stdout (fields: docs/cli.md).", Recursive = true };
    private static readonly Option<bool> QuietOption = new("--quiet", "-q") { Description = "Print nothing but errors.", Recursive = true };
    private static readonly Option<bool> VerboseOption = new("--verbose") { Description = "Print the stack trace of an error.", Recursive = true };
    private static readonly Option<int?> ThreadsOption = new("--threads") { Description = "Kernel threads (default: all cores).", Recursive = true };

    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellation = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        // every command's action goes through Execute, with the writers of this invocation
        Bind bind = (command, action) =>
            command.SetAction((parse, token) => Task.FromResult(Execute(parse, output, error, action, CancellationTokenSource.CreateLinkedTokenSource(token, cancellation).Token)));
        var root = new RootCommand("lucid — feature visualization, attribution and Building Blocks interfaces for .NET models.")
        {
            InspectCommand(bind), SchemaCommand(bind), RenderCommandLine(bind), AttributeCommandLine(bind), BlocksCommand(bind),
            CatalogCommand(bind), TrainCommand(bind), EvaluateCommand(bind), QualityCommand(bind), RobustnessCommand(bind), AuditLabelsCommand(bind), ShapeBiasCommand(bind),
        };
        foreach (var option in new Option[] { JsonOption, QuietOption, VerboseOption, ThreadsOption }.Concat(ModelOptions.All)) root.Options.Add(option);
        var parse = root.Parse(args);
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>Attaches a command's action, run through <see cref="Execute"/> with the invocation's writers.</summary>
    private delegate void Bind(Command command, Action<Session, CancellationToken> action);

    /// <summary>Runs one command: threads, the action, and every failure turned into one line and an exit code.</summary>
    private static int Execute(ParseResult parse, TextWriter output, TextWriter error, Action<Session, CancellationToken> action, CancellationToken cancellation)
    {
        var session = new Session(parse, output, error, parse.GetValue(JsonOption), parse.GetValue(QuietOption), parse.GetValue(VerboseOption));
        try
        {
            if (parse.GetValue(ThreadsOption) is { } threads)
            {
                if (threads < 1) throw new LucidArgumentException("threads", $"--threads must be at least 1, got {threads}.");
                ParallelKernels.Threads = threads;
            }
            action(session, cancellation);
            return cancellation.IsCancellationRequested ? Fail(session, ExitCodes.Cancelled, "cancelled; finished work was kept.", null) : ExitCodes.Success;
        }
        catch (NumericalException e) { return Fail(session, ExitCodes.Numerical, e.Message, e); }
        catch (LucidCancelledException e) { return Fail(session, ExitCodes.Cancelled, e.Message, e); }
        catch (LucidException e) { return Fail(session, ExitCodes.InvalidInput, e.Message, e); }
        catch (FileNotFoundException e) { return Fail(session, ExitCodes.Io, $"file not found: {e.FileName ?? e.Message}", e); }
        catch (DirectoryNotFoundException e) { return Fail(session, ExitCodes.Io, $"directory not found: {e.Message}", e); }
        catch (UnauthorizedAccessException e) { return Fail(session, ExitCodes.Io, $"access denied: {e.Message}", e); }
        catch (IOException e) { return Fail(session, ExitCodes.Io, e.Message, e); }
        catch (OperationCanceledException e) { return Fail(session, ExitCodes.Cancelled, "cancelled; finished work was kept.", e); }
        catch (Exception e) { return Fail(session, ExitCodes.Internal, $"internal error ({e.GetType().Name}): {e.Message} — please report it; --verbose prints the stack trace.", e); }
    }

    private static int Fail(Session session, int code, string message, Exception? e)
    {
        session.Error.WriteLine($"lucid: {message.ReplaceLineEndings(" ")}");
        if (session.Verbose && e is not null) session.Error.WriteLine(e.ToString());
        if (session.Json) session.Output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { error = new { code, message } }, Session.JsonOptions));
        return code;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static object ImageInfo(string path)
    {
        var image = Lucid.Imaging.Image.LoadPng(path);
        return new { path, width = image.Width, height = image.Height };
    }
}
