using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Lucid.Cli;

/// <summary>The exit codes of <c>lucid</c> (docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The command line itself is wrong (unknown option, missing argument): System.CommandLine's own.</summary>
    public const int Usage = 1;
    /// <summary>Bad input the library recognized: a corrupt or unsupported file, a tap, class or shard that does not exist.</summary>
    public const int InvalidInput = 2;
    /// <summary>The file system refused: a file or directory not found, not readable or not writable.</summary>
    public const int Io = 3;
    /// <summary>A NaN or infinity stopped the work (the message names the step and the term).</summary>
    public const int Numerical = 4;
    /// <summary>An unexpected error: a bug; <c>--verbose</c> prints the stack trace.</summary>
    public const int Internal = 70;
    /// <summary>Cancelled (Ctrl-C); finished work was kept.</summary>
    public const int Cancelled = 130;
}

/// <summary>
/// One invocation's output: human lines (silenced by <c>--quiet</c> and <c>--json</c>), one JSON document on stdout with
/// <c>--json</c>, progress bars on an interactive stderr, and errors as one line on stderr (the stack trace only with
/// <c>--verbose</c>).
/// </summary>
public sealed class Session(ParseResult parse, TextWriter output, TextWriter error, bool json, bool quiet, bool verbose)
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public ParseResult Parse { get; } = parse;
    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;
    public bool Json { get; } = json;
    public bool Quiet { get; } = quiet;
    public bool Verbose { get; } = verbose;

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);
    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>
    /// The model a command names: a bundled one, resnet18, or an .onnx file imported with the command line's input
    /// contract (<see cref="ModelOptions"/>).
    /// </summary>
    public Lucid.Models.Graph.Model Model(string nameOrPath, bool withWeights = true) =>
        BundledModels.Resolve(nameOrPath, withWeights, ModelOptions.From(this));

    /// <summary>A line for people (not printed with --quiet or --json).</summary>
    public void Say(string line)
    {
        if (!Json && !Quiet) Output.WriteLine(line);
    }

    /// <summary>A note on stderr about long work (not printed with --quiet or --json).</summary>
    public void Note(string line)
    {
        if (!Json && !Quiet) Error.WriteLine(line);
    }

    /// <summary>A Markdown table: printed for people (not with --quiet or --json), and written atomically to <paramref name="path"/> when given.</summary>
    public void Table(string table, string? path)
    {
        if (!Json && !Quiet) Output.Write(table);
        if (path is not null) Lucid.Tensors.AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(table)));
    }

    /// <summary>Prints the command's result as JSON when --json was given.</summary>
    public void Result(object result)
    {
        if (Json) Output.WriteLine(JsonSerializer.Serialize(result, result.GetType(), JsonOptions));
    }

    /// <summary>
    /// Runs long work with a progress bar (ETA, current status) when stderr is an interactive terminal and neither
    /// --quiet nor --json was given; otherwise runs it plainly. The work reports (done, total, status).
    /// </summary>
    public T WithProgress<T>(string description, Func<Action<double, double, string>, T> work)
    {
        bool interactive = !Json && !Quiet && ReferenceEquals(Error, Console.Error) && !Console.IsErrorRedirected;
        if (!interactive) return work((_, _, _) => { });
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description));
                result = work((done, total, status) =>
                {
                    task.MaxValue = Math.Max(total, 1);
                    task.Value = done;
                    task.Description = Markup.Escape($"{description}: {status}");
                });
            });
        return result;
    }
}
