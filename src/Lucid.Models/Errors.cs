namespace Lucid;

/// <summary>A file that is not what it claims to be: truncated, corrupted, or of an unsupported kind. Names the file and where.</summary>
public class ModelFormatException : LucidException
{
    public string? FilePath { get; }

    public ModelFormatException(string? filePath, string message)
        : base(filePath is null ? message : $"{filePath}: {message}") => FilePath = filePath;

    public ModelFormatException(string? filePath, string message, Exception inner)
        : base(filePath is null ? message : $"{filePath}: {message}", inner) => FilePath = filePath;
}

/// <summary>A model that cannot do what was asked: an unknown tap, a missing or mis-shaped weight, a wrong input shape.</summary>
public class ModelException : LucidException
{
    public ModelException(string message) : base(message) { }
}
