namespace Lucid;

/// <summary>Base type of every exception Lucid.Dsl throws on purpose. Catch this to handle any library error.</summary>
public class LucidException : Exception
{
    public LucidException(string message) : base(message) { }
    public LucidException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// A file that is not what it claims to be — truncated, corrupted, of an unsupported kind or variant — naming the file
/// and, where it can, the offset, chunk, marker or field. <c>ModelFormatException</c> (ONNX, safetensors, IDX, schemas)
/// and <c>ImageFormatException</c> (PNG, JPEG, PGM/PPM) derive from it.
/// </summary>
public class LucidFormatException : LucidException
{
    /// <summary>The file (or a name for in-memory data), if known.</summary>
    public string? FilePath { get; }

    public LucidFormatException(string? filePath, string message)
        : base(filePath is null ? message : $"{filePath}: {message}") => FilePath = filePath;

    public LucidFormatException(string? filePath, string message, Exception inner)
        : base(filePath is null ? message : $"{filePath}: {message}", inner) => FilePath = filePath;
}

/// <summary>
/// A size beyond a configured limit (<see cref="LucidLimits"/>), refused before anything of that size is allocated:
/// a tensor, an image, a file's declared length, a graph's node count.
/// </summary>
public class ResourceLimitException : LucidException
{
    public ResourceLimitException(string message) : base(message) { }
}

/// <summary>Long work stopped by its cancellation token where no partial result can be returned (work that can return one returns it instead).</summary>
public class LucidCancelledException : LucidException
{
    public LucidCancelledException(string message) : base(message) { }
}

/// <summary>
/// Process-wide limits on what the library allocates from input it did not create (files, requests), checked before
/// allocating. Raise them for unusually large models or images.
/// </summary>
public static class LucidLimits
{
    /// <summary>Largest tensor, in elements (default 2³⁰ ≈ 1.07 billion floats, 4 GiB).</summary>
    public static long MaxTensorElements { get; set; } = 1L << 30;

    /// <summary>Largest image a decoder accepts, in pixels (default 2²⁸ ≈ 268 megapixels).</summary>
    public static long MaxImagePixels { get; set; } = 1L << 28;

    /// <summary>Most nodes an imported graph may have (default 100,000).</summary>
    public static int MaxGraphNodes { get; set; } = 100_000;

    /// <summary>Throws <see cref="ResourceLimitException"/> if <paramref name="elements"/> exceeds the tensor limit.</summary>
    public static void CheckTensor(long elements, string what)
    {
        if (elements > MaxTensorElements)
            throw new ResourceLimitException($"{what}: {elements:N0} elements exceed the limit of {MaxTensorElements:N0} (LucidLimits.MaxTensorElements).");
    }
}

/// <summary>Tensor shapes that do not fit the operation (rank, sizes, broadcasting).</summary>
public class ShapeMismatchException : LucidException
{
    public ShapeMismatchException(string message) : base(message) { }
}

/// <summary>An argument outside its valid range (a zero or negative size, a dimension that does not exist, ...).</summary>
public class LucidArgumentException : LucidException
{
    public string ParameterName { get; }
    public LucidArgumentException(string parameterName, string message) : base(message) => ParameterName = parameterName;
}

/// <summary>A tensor or an autograd graph used after its lifetime ended (disposed tensor, freed graph).</summary>
public class TensorLifetimeException : LucidException
{
    public TensorLifetimeException(string message) : base(message) { }
}

/// <summary>A NaN or infinity where a finite value was required.</summary>
public class NumericalException : LucidException
{
    public NumericalException(string message) : base(message) { }

    /// <summary>The last good state where one is kept (a render's last finite image), or null.</summary>
    public Lucid.Tensors.Tensor? LastGood { get; init; }
}
