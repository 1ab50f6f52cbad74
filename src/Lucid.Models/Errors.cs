namespace Lucid;

/// <summary>A file that is not what it claims to be: truncated, corrupted, or of an unsupported kind. Names the file and where.</summary>
public class ModelFormatException : LucidFormatException
{
    public ModelFormatException(string? filePath, string message) : base(filePath, message) { }

    public ModelFormatException(string? filePath, string message, Exception inner) : base(filePath, message, inner) { }
}

/// <summary>A model that cannot do what was asked: an unknown tap, a missing or mis-shaped weight, a wrong input shape.</summary>
public class ModelException : LucidException
{
    public ModelException(string message) : base(message) { }
}
