namespace Lucid;

/// <summary>Base type of every exception Lucid.Dsl throws on purpose. Catch this to handle any library error.</summary>
public class LucidException : Exception
{
    public LucidException(string message) : base(message) { }
    public LucidException(string message, Exception inner) : base(message, inner) { }
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
}
